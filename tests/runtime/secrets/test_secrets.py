"""resolve_secret: env var first, then the file store; errors name places, never values."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.plan import Secret
from runtime.errors import SecretError
from runtime.secrets import SECRETS_DIR_ENV, FileSecretStore, default_store, resolve_secret

SECRET = Secret(name="hr-db-credentials", env="SECRET_HR_DB_CREDENTIALS")
CANARY = "canary-7f3a9c-DO-NOT-LEAK"


def test_env_var_wins_over_store(tmp_path: Path) -> None:
    (tmp_path / SECRET.name).write_text("from-file\n")
    environ = {SECRET.env: "from-env", SECRETS_DIR_ENV: str(tmp_path)}
    assert resolve_secret(SECRET, environ=environ) == "from-env"


def test_file_store_strips_exactly_one_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / SECRET.name).write_bytes(b"postgresql://u:p@h/db\n\n")
    assert resolve_secret(SECRET, environ={SECRETS_DIR_ENV: str(tmp_path)}) == "postgresql://u:p@h/db\n"
    (tmp_path / SECRET.name).write_bytes(b"value\r\n")
    assert resolve_secret(SECRET, environ={SECRETS_DIR_ENV: str(tmp_path)}) == "value"
    (tmp_path / SECRET.name).write_bytes(b"no-newline")
    assert resolve_secret(SECRET, environ={SECRETS_DIR_ENV: str(tmp_path)}) == "no-newline"


def test_empty_env_var_falls_back_to_store(tmp_path: Path) -> None:
    (tmp_path / SECRET.name).write_text("stored")
    assert resolve_secret(SECRET, environ={SECRET.env: "", SECRETS_DIR_ENV: str(tmp_path)}) == "stored"


def test_kubernetes_style_symlinked_mount(tmp_path: Path) -> None:
    # Kubernetes mounts keys as symlinks into a timestamped ..data directory.
    data = tmp_path / "..2026_11_25" / SECRET.name
    data.parent.mkdir()
    data.write_text("linked\n")
    (tmp_path / SECRET.name).symlink_to(data)
    assert resolve_secret(SECRET, environ={SECRETS_DIR_ENV: str(tmp_path)}) == "linked"


def test_missing_everywhere_names_env_var_and_store(tmp_path: Path) -> None:
    (tmp_path / "other-secret").write_text(CANARY)
    with pytest.raises(SecretError) as caught:
        resolve_secret(SECRET, environ={SECRETS_DIR_ENV: str(tmp_path), "SECRET_OTHER_SECRET": CANARY})
    message = str(caught.value)
    assert "SECRET_HR_DB_CREDENTIALS is not set" in message
    assert str(tmp_path) in message
    assert SECRETS_DIR_ENV in message
    assert CANARY not in message


def test_missing_without_store_says_how_to_configure_one() -> None:
    with pytest.raises(SecretError, match=f"no managed store is configured.*{SECRETS_DIR_ENV}"):
        resolve_secret(SECRET, environ={})


def test_empty_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / SECRET.name).write_text("\n")
    with pytest.raises(SecretError, match="has no non-empty entry"):
        resolve_secret(SECRET, environ={SECRETS_DIR_ENV: str(tmp_path)})


def test_store_directory_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="is not a directory"):
        resolve_secret(SECRET, environ={SECRETS_DIR_ENV: str(tmp_path / "nope")})


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "..", ""])
def test_file_store_refuses_path_like_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(SecretError, match="cannot be a file name"):
        FileSecretStore(tmp_path).get(name)


def test_non_utf8_file_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / SECRET.name).write_bytes(b"\xff\xfe" + CANARY.encode())
    with pytest.raises(SecretError, match="not UTF-8") as caught:
        resolve_secret(SECRET, environ={SECRETS_DIR_ENV: str(tmp_path)})
    assert CANARY not in str(caught.value)


def test_custom_store_implements_the_protocol() -> None:
    class DictStore:
        def __init__(self, values: dict[str, str]) -> None:
            self.values = values

        def get(self, name: str) -> str | None:
            return self.values.get(name)

    assert resolve_secret(SECRET, environ={}, store=DictStore({SECRET.name: "cloud"})) == "cloud"


def test_default_store_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_store({}) is None
    monkeypatch.setenv(SECRETS_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(SECRET.env, raising=False)
    (tmp_path / SECRET.name).write_text("via-os-environ")
    assert resolve_secret(SECRET) == "via-os-environ"
