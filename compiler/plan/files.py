"""Read a configuration file (a plan, a connector) without letting the path decide how long that takes.

A FIFO named `a.yaml` would block `read()` forever and a symlink to `/dev/zero` would grow without end, so the
file is opened non-blocking, must be a regular file (checked on the open descriptor, so a swapped path cannot
slip through), and is read only up to its size limit plus one byte. Shared by the compiler (connector files,
`show`/`diff`) and the runtime (`runtime exec`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotARegularFile(OSError):
    """The path names something other than a regular file (after following symlinks); `kind` says what."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is {kind}, not a regular file")
        self.kind = kind


class FileTooLarge(OSError):
    """The file holds more than the limit; `size` is what was seen (at least limit + 1)."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


def kind_of(mode: int) -> str:
    """`a FIFO (named pipe)`, `a character device`, ... for a non-regular file's st_mode."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`; NotARegularFile, FileTooLarge or another OSError otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(path, kind_of(mode))
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            # st_size is the real size of a regular file; what was read is a lower bound if it grows meanwhile.
            raise FileTooLarge(f"{path} is larger than {limit:,} bytes", max(size, os.fstat(fd).st_size))
        return b"".join(chunks)
    finally:
        os.close(fd)
