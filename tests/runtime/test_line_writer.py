"""The artifact line writer: bytes exactly as given, its checksum, and syncs to disk as it goes."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest
import xxhash

from runtime.deliver import lines
from runtime.deliver.lines import LineWriter


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="the platform takes no page-cache advice (macOS)")
def test_lines_are_written_whole_synced_and_dropped_from_the_cache_every_sync_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, int]] = []
    real_sync, real_advise = os.fdatasync, os.posix_fadvise

    def syncing(fd: int) -> None:
        events.append(("sync", os.fstat(fd).st_size))  # what the file holds when it is synced
        real_sync(fd)

    def advising(fd: int, offset: int, length: int, advice: int) -> None:
        assert (offset, length, advice) == (0, 0, os.POSIX_FADV_DONTNEED)
        events.append(("drop", os.fstat(fd).st_size))
        real_advise(fd, offset, length, advice)

    monkeypatch.setattr(lines, "SYNC_BYTES", 1000)
    monkeypatch.setattr(lines.os, "fdatasync", syncing)
    monkeypatch.setattr(lines.os, "posix_fadvise", advising)
    path = tmp_path / "upserts.ndjson"
    writer = LineWriter(path)
    chunks = [pa.array([f'{{"id":"{n}-{i}","pad":"{"x" * 40}"}}\n' for i in range(10)]) for n in range(8)]
    for chunk in chunks:
        writer.write(chunk)
    checksum = writer.close()
    data = path.read_bytes()
    assert data == b"".join("".join(chunk.to_pylist()).encode() for chunk in chunks)
    assert checksum == xxhash.xxh3_128_hexdigest(data)
    assert writer.lines == 80
    # ~570 bytes a chunk: a sync after every second chunk, once the file holds what came before it, then a drop.
    assert events == [(event, len(data) * k // 4) for k in (1, 2, 3, 4) for event in ("sync", "drop")]


def test_a_small_file_is_not_synced_by_the_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(lines.os, "fdatasync", calls.append)
    writer = LineWriter(tmp_path / "deletes.ndjson")
    writer.write(pa.array(['{"id":"a"}\n']))
    writer.close()
    assert calls == []  # the store syncs what it publishes; the writer only syncs large files as it goes
