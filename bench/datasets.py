"""Benchmark tables generated inside the servers (no row crosses the wire while loading).

The table is the one the issue measures: `docs(id, title, body ~500 bytes, department, updated_at)`, about
570 bytes a row. PostgreSQL fills it with `generate_series`; MariaDB with `INSERT ... SELECT` over the
`seq_1_to_N` sequence engine. Both are deterministic for a given N, so runs are comparable.

    python -m bench.datasets --rows 1000000 [--pg-url URL] [--mysql-url URL] [--table docs]
"""

from __future__ import annotations

import argparse
import re
import time
from urllib.parse import urlsplit

import psycopg
import pymysql

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

# ~500 bytes of body: a repeated md5 makes it incompressible-ish and different for every row.
_PG_FILL = """
INSERT INTO {table} (id, title, body, department, updated_at)
SELECT g,
       'Document ' || g,
       repeat(md5(g::text), 15) || substr(md5((g * 7)::text), 1, 20),
       (ARRAY['engineering','sales','support','finance','legal','hr'])[1 + g % 6],
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series(1, {rows}) AS g
"""

_MYSQL_FILL = """
INSERT INTO {table} (id, title, body, department, updated_at)
SELECT seq,
       CONCAT('Document ', seq),
       CONCAT(REPEAT(MD5(seq), 15), SUBSTR(MD5(seq * 7), 1, 20)),
       ELT(1 + seq % 6, 'engineering','sales','support','finance','legal','hr'),
       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND
FROM seq_1_to_{rows}
"""


def _check(table: str) -> str:
    if not _IDENTIFIER.match(table):
        raise ValueError(f"table name {table!r} must be a plain identifier")
    return table


def create_pg(url: str, rows: int, table: str = "docs") -> float:
    """(Re)create `table` with `rows` rows in PostgreSQL; returns seconds taken."""
    table = _check(table)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(
            f"CREATE TABLE {table} (id bigint PRIMARY KEY, title text NOT NULL, body text NOT NULL,"
            " department text NOT NULL, updated_at timestamptz NOT NULL)"
        )
        if rows > 0:
            conn.execute(_PG_FILL.format(table=table, rows=int(rows)))
        conn.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def mysql_connect(url: str) -> pymysql.connections.Connection:  # type: ignore[type-arg]
    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=parts.path.lstrip("/") or None,
        autocommit=True,
        charset="utf8mb4",
    )


def create_mysql(url: str, rows: int, table: str = "docs") -> float:
    """(Re)create `table` with `rows` rows in MariaDB; returns seconds taken."""
    table = _check(table)
    started = time.perf_counter()
    conn = mysql_connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TABLE {table} (id BIGINT PRIMARY KEY, title VARCHAR(200) NOT NULL, body TEXT NOT NULL,"
                " department VARCHAR(50) NOT NULL, updated_at DATETIME(6) NOT NULL)"
                " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            )
            if rows > 0:
                cursor.execute(_MYSQL_FILL.format(table=table, rows=int(rows)))
            cursor.execute(f"ANALYZE TABLE {table}")
            cursor.fetchall()
    finally:
        conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--table", default="docs")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--mysql-url", default=MYSQL_URL)
    parser.add_argument("--only", choices=["pg", "mysql"], default=None)
    args = parser.parse_args()
    if args.only in (None, "pg"):
        print(f"postgres {args.table}: {args.rows} rows in {create_pg(args.pg_url, args.rows, args.table):.1f} s")
    if args.only in (None, "mysql"):
        seconds = create_mysql(args.mysql_url, args.rows, args.table)
        print(f"mariadb  {args.table}: {args.rows} rows in {seconds:.1f} s")


if __name__ == "__main__":
    main()
