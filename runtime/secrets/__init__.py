"""Secret resolution: the environment variable first, then a managed store.

A plan names a secret (`Secret.name`, the connector's `secretRef`) and its environment variable
(`Secret.env`, `SECRET_<NAME>`), never its value. `resolve_secret` returns the value or raises
`SecretError` saying where it looked; no message here ever contains a value.

Stores implement `SecretStore` (one method). The shipped one reads a directory with one file per secret,
named by the `secretRef`, which is how Kubernetes mounts a Secret as a volume; `GEMINI_SYNC_SECRETS_DIR`
selects it. A cloud secret manager can implement the same protocol later and be chosen in `default_store`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from compiler.plan import Secret
from runtime.errors import SecretError

SECRETS_DIR_ENV = "GEMINI_SYNC_SECRETS_DIR"

__all__ = ["SECRETS_DIR_ENV", "FileSecretStore", "SecretStore", "default_store", "resolve_secret"]


class SecretStore(Protocol):
    """A managed secret store. `str(store)` should say where it is, for error messages."""

    def get(self, name: str) -> str | None:
        """The secret's value, or None when the store has no such secret. Raises SecretError if unreadable."""
        ...


class FileSecretStore:
    """One file per secret in `directory`, named by the secret's name; one trailing newline is stripped."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __str__(self) -> str:
        return f"the secrets directory {self.directory} ({SECRETS_DIR_ENV})"

    def get(self, name: str) -> str | None:
        # A secretRef is a plain name; refuse anything that could walk out of the directory.
        if not name or name in {".", ".."} or "/" in name or "\\" in name or "\0" in name:
            raise SecretError(f"secret name {name!r} cannot be a file name in {self}")
        if not self.directory.is_dir():
            raise SecretError(
                f"{self} is not a directory; point {SECRETS_DIR_ENV} at the folder holding one file per secret"
            )
        path = self.directory / name
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SecretError(f"cannot read secret file {path}: {error.strerror or type(error).__name__}") from None
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretError(f"secret file {path} is not UTF-8 text") from None
        # Exactly one line ending: editors and `kubectl create secret --from-file` often add one.
        return value[:-2] if value.endswith("\r\n") else value.removesuffix("\n")


def default_store(environ: Mapping[str, str] | None = None) -> SecretStore | None:
    """The managed store configured by the environment, or None if none is."""
    env = os.environ if environ is None else environ
    directory = env.get(SECRETS_DIR_ENV, "")
    return FileSecretStore(Path(directory)) if directory else None


def resolve_secret(
    secret: Secret,
    *,
    environ: Mapping[str, str] | None = None,
    store: SecretStore | None = None,
) -> str:
    """The value of `secret`: env var `secret.env` if set and non-empty, else the managed store.

    `environ` defaults to `os.environ`; `store` defaults to `default_store(environ)`.
    """
    env = os.environ if environ is None else environ
    value = env.get(secret.env, "")
    if value:
        return value
    chosen = store if store is not None else default_store(env)
    if chosen is not None:
        stored = chosen.get(secret.name)
        if stored:
            return stored
    env_state = "is empty" if secret.env in env else "is not set"
    if chosen is None:
        where = f"no managed store is configured (set {SECRETS_DIR_ENV} to a directory with one file per secret)"
    else:
        where = f"{chosen} has no non-empty entry named {secret.name!r}"
    raise SecretError(
        f"secret {secret.name!r} not found: environment variable {secret.env} {env_state}, and {where}. "
        f"Fix: export {secret.env}=<value>, or add the file {secret.name!r} to the secrets directory."
    )
