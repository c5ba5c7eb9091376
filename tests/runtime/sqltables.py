"""The scenario table on the real PostgreSQL and MariaDB servers: create, edit, and plan against it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from compiler.plan import Plan
from tests.runtime.planbuilder import make_plan

# Row i: updated at T0 + i seconds; an update of version v moves it to T0 + 100000 * v + i seconds.
_PG_COLUMNS = (
    "id bigint PRIMARY KEY, title text, body text, department text, users text[], groups_csv text,"
    " updated_at timestamptz"
)
_MY_COLUMNS = (
    "id BIGINT PRIMARY KEY, title VARCHAR(200), body TEXT, department VARCHAR(50), users TEXT, groups_csv TEXT,"
    " updated_at DATETIME(6)"
)


@dataclass
class SqlTable:
    """A scratch `docs`-shaped table in one server, driven through a DB-API connection."""

    kind: str  # "postgres" | "mysql"
    conn: Any
    url: str
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"rt_{uuid.uuid4().hex[:10]}"
        columns = _PG_COLUMNS if self.kind == "postgres" else _MY_COLUMNS
        self._exec(f"CREATE TABLE {self.name} ({columns})")

    def _exec(self, sql: str, params: Any = None) -> None:
        if self.kind == "postgres":
            self.conn.execute(sql, params)
        else:
            with self.conn.cursor() as cursor:
                cursor.execute(sql, params)

    def _ts(self, seconds_sql: str) -> str:
        if self.kind == "postgres":
            return f"timestamptz '2024-01-01 00:00:00+00' + ({seconds_sql}) * interval '1 second'"
        return f"TIMESTAMP '2024-01-01 00:00:00' + INTERVAL ({seconds_sql}) SECOND"

    def insert(self, ids: Iterable[int]) -> None:
        for i in ids:
            users = (
                ("{" + f"u{i}@example.com" + "}" if i % 2 else "{}")
                if self.kind == "postgres"
                else (f"u{i}@example.com" if i % 2 else "")
            )
            groups = "staff, managers" if i % 3 == 0 else None
            self._exec(
                f"INSERT INTO {self.name} VALUES (%s, %s, %s, %s, %s, %s, {self._ts('%s')})",
                (i, f"Doc {i}", f"body {i}", "eng" if i % 2 else "sales", users, groups, i),
            )

    def update(self, ids: Iterable[int], version: int) -> None:
        for i in ids:
            self._exec(
                f"UPDATE {self.name} SET body = %s, updated_at = {self._ts('%s')} WHERE id = %s",
                (f"body {i} v{version}", 100_000 * version + i, i),
            )

    def delete(self, ids: Iterable[int]) -> None:
        for i in ids:
            self._exec(f"DELETE FROM {self.name} WHERE id = %s", (i,))

    def fill(self, rows: int) -> None:
        """Many rows at once, generated in the server."""
        if self.kind == "postgres":
            self._exec(
                f"INSERT INTO {self.name} SELECT g, 'Doc ' || g, 'body ' || g, 'eng', '{{}}', NULL,"
                f" {self._ts('g')} FROM generate_series(1, {int(rows)}) g"
            )
        else:
            self._exec(
                f"INSERT INTO {self.name} SELECT seq, CONCAT('Doc ', seq), CONCAT('body ', seq), 'eng', '', NULL,"
                f" {self._ts('seq')} FROM seq_1_to_{int(rows)}"
            )

    def select(self, extra: str = "") -> str:
        return f"SELECT id, title, body, department, users, groups_csv, updated_at{extra} FROM {self.name}"

    def plan(self, base_uri: str, **args: Any) -> Plan:
        driver = "postgresql+psycopg" if self.kind == "postgres" else "mysql+pymysql"
        args.setdefault("snapshot", self.select())
        return make_plan(
            base_uri, provider=self.kind, driver=driver, acl_users="users", acl_groups="groups_csv", **args
        )  # type: ignore[arg-type]
