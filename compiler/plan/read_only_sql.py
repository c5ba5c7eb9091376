"""What a sync may send to a SQL source: exactly one read-only SELECT. One policy for the linter and the runtime.

The linter (GS107) applies it to the connector's query; the runtime applies it again to the plan's statement
just before the statement reaches a server (`runtime.extract.statement`), because a plan is a file anyone can
edit and re-seal. It refuses:

- anything but one statement, and anything but a SELECT (a UNION of SELECTs counts);
- writes anywhere in the tree (INSERT, UPDATE, DELETE, MERGE, DDL, a CTE that writes, SELECT ... INTO,
  non-query commands such as COPY, EXEC, CALL or SET) and row locks (FOR UPDATE / FOR SHARE);
- functions that change state although they sit in a SELECT (sequences, advisory locks, settings);
- functions that reach outside the session: other servers (dblink, OPENQUERY, OPENROWSET, OPENDATASOURCE,
  UTL_HTTP), server files (lo_import, pg_read_file, LOAD_FILE, UTL_FILE, BFILENAME, DuckDB's read_csv and
  file paths used as tables, SQLite's readfile), programs (xp_cmdshell, sys_exec) and SQL given as text
  (query_to_xml, DBMS_SQL, DBMS_XMLGEN, DuckDB's query()).

This is a last line of defence, not the boundary: a function unknown to these lists, or one a database adds
later, passes. The boundary is a database user that can only read what the sync needs.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from compiler.plan.providers import PROVIDERS

logging.getLogger("sqlglot").setLevel(logging.ERROR)
"""sqlglot logs "falling back to parsing as a Command" on stderr; the refusal already says what it is."""

DIALECTS: dict[str, str] = {name: provider.dialect for name, provider in PROVIDERS.items()}
"""Connector source type (plan provider) -> sqlglot dialect, from the provider table."""

_WRITES: tuple[tuple[str, str], ...] = (
    ("Insert", "INSERT"),
    ("Update", "UPDATE"),
    ("Delete", "DELETE"),
    ("Merge", "MERGE"),
    ("Create", "CREATE"),
    ("Drop", "DROP"),
    ("Alter", "ALTER"),
    ("TruncateTable", "TRUNCATE"),
    ("Copy", "COPY"),
    ("Execute", "EXEC"),
    ("Command", "a non-query command"),
    ("NextValueFor", "NEXT VALUE FOR (advances a sequence)"),
)
_WRITE_TYPES: tuple[tuple[type[exp.Expr], str], ...] = tuple(
    (getattr(exp, name), label) for name, label in _WRITES if hasattr(exp, name)
)

STATE_FUNCTIONS = frozenset(
    {
        # PostgreSQL
        "nextval", "setval", "set_config", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
        "pg_rotate_logfile", "pg_switch_wal", "pg_create_restore_point", "pg_promote", "pg_notify",
        "pg_logical_emit_message", "pg_create_logical_replication_slot", "pg_create_physical_replication_slot",
        "pg_drop_replication_slot", "pg_import_system_collations", "txid_current", "pg_current_xact_id",
        # MySQL / MariaDB
        "get_lock", "release_lock", "release_all_locks",
    }
)  # fmt: skip
"""Functions that change state although they sit in a SELECT (sequences, locks, settings, server control)."""
STATE_PREFIXES = ("pg_advisory", "pg_try_advisory", "pg_stat_reset", "pg_replication_origin")

OUTSIDE_FUNCTIONS: dict[str, frozenset[str]] = {
    "postgres": frozenset(
        {
            "loread", "lowrite", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file",
            "pg_ls_logdir", "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir", "pg_ls_logicalsnapdir",
            "pg_ls_logicalmapdir", "pg_ls_replslotdir", "pg_file_write", "pg_file_rename", "pg_file_unlink",
            "pg_file_sync", "pg_logdir_ls", "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
            "cursor_to_xml", "cursor_to_xmlschema",
        }
    ),
    "mysql": frozenset({"load_file", "sys_exec", "sys_eval", "sys_get", "sys_set", "sys_bineval"}),
    "tsql": frozenset(
        {
            "openrowset", "openquery", "opendatasource", "fn_xe_file_target_read_file", "fn_get_audit_file",
            "fn_trace_gettable",
        }
    ),
    "oracle": frozenset({"bfilename", "httpuritype"}),
    "duckdb": frozenset(
        {
            "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema",
            "read_json", "read_json_auto", "read_json_objects", "read_ndjson", "read_ndjson_auto",
            "read_ndjson_objects", "read_text", "read_blob", "glob", "sniff_csv", "read_xlsx", "st_read",
            "delta_scan", "iceberg_scan", "sqlite_scan", "postgres_scan", "postgres_query", "mysql_query",
            "query", "query_table", "getenv",
        }
    ),
    "sqlite": frozenset({"readfile", "writefile", "edit", "load_extension"}),
}  # fmt: skip
"""Per dialect, functions that reach outside the session: other servers, server files, programs, SQL as text."""
OUTSIDE_PREFIXES: dict[str, tuple[str, ...]] = {"postgres": ("dblink", "lo_"), "tsql": ("xp_",)}
OUTSIDE_PACKAGES = frozenset(
    {
        "utl_file", "utl_http", "utl_tcp", "utl_smtp", "utl_mail", "utl_inaddr", "dbms_sql", "dbms_sys_sql",
        "dbms_xmlgen", "dbms_xmlquery", "dbms_scheduler", "dbms_job", "dbms_pipe", "dbms_alert", "dbms_aq",
        "dbms_lock", "dbms_ldap", "dbms_java", "dbms_file_transfer", "dbms_datapump", "dbms_cloud",
        "dbms_network_acl_admin", "dbms_backup_restore", "dbms_session",
    }
)  # fmt: skip
"""Oracle packages whose functions write, run SQL given as text, or reach files, mail or the network."""
WRITING_MEMBERS: dict[str, frozenset[str]] = {
    "dbms_lob": frozenset(
        {
            "fileopen", "fileclose", "filecloseall", "loadfromfile", "loadclobfromfile", "loadblobfromfile",
            "write", "writeappend", "erase", "trim", "copy", "append",
        }
    ),
}  # fmt: skip
"""Members of otherwise harmless packages that write (DBMS_LOB.SUBSTR reads; DBMS_LOB.WRITE does not)."""


_FILE_LIKE = re.compile(r"/|\\|://|\.(csv|tsv|parquet|json|jsonl|ndjson|txt|gz|zst|xlsx|arrow|db|duckdb|sqlite)$", re.I)
"""A table name DuckDB would resolve to a file (its "replacement scans" read paths named in FROM)."""


def function_name(node: exp.Func) -> str:
    """A function's name as called, lower-case: `dblink`, `read_csv`, `fopen`."""
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def qualifier(node: exp.Expr) -> tuple[str, ...]:
    """The package or schema names a function is called through (`SYS.UTL_FILE.FOPEN` -> ('sys', 'utl_file'))."""
    parent = node.parent
    if not isinstance(parent, exp.Dot) or parent.expression is not node:
        return ()
    return tuple(identifier.name.lower() for identifier in parent.this.find_all(exp.Identifier))


def _function_problem(node: exp.Func, dialect: str) -> str | None:
    name = function_name(node)
    packages = qualifier(node)
    if name in STATE_FUNCTIONS or name.startswith(STATE_PREFIXES):
        return f"{name}() (a function that changes state)"
    outside = name in OUTSIDE_FUNCTIONS.get(dialect, frozenset()) or name.startswith(OUTSIDE_PREFIXES.get(dialect, ()))
    if outside:
        return f"{name}() (a function that reaches outside the session: files, programs or other servers)"
    package = next((p for p in packages if p in OUTSIDE_PACKAGES or name in WRITING_MEMBERS.get(p, ())), None)
    if package is not None:
        return f"{package}.{name}() (reaches outside the session or writes)"
    return None


def writes(statement: exp.Expr, dialect: str) -> tuple[str, ...]:
    """What in `statement` writes, locks or reaches outside the session, each named once, in tree order."""
    found: list[str] = []

    def add(label: str) -> None:
        if label not in found:
            found.append(label)

    for node in statement.walk():
        for node_type, label in _WRITE_TYPES:
            if isinstance(node, node_type):
                add(label)
        if dialect == "oracle" and isinstance(node, exp.Column) and node.name.lower() == "nextval":
            add(node.sql())
        if isinstance(node, exp.Func) and (problem := _function_problem(node, dialect)):
            add(problem)
        if dialect == "duckdb" and isinstance(node, exp.Table) and _FILE_LIKE.search(node.name):
            add(f"the file {node.name!r} read as a table (DuckDB reads files named in FROM)")
        if isinstance(node, exp.Select):
            if node.args.get("into") is not None:
                add("SELECT ... INTO")
            if node.args.get("locks"):
                add("a row lock (FOR UPDATE/SHARE)")
    return tuple(found)


def is_select(statement: exp.Expr) -> bool:
    """A SELECT, a set operation of SELECTs, or a parenthesised SELECT."""
    return isinstance(statement, exp.Select | exp.SetOperation) or (
        isinstance(statement, exp.Subquery) and isinstance(statement.this, exp.Select)
    )


def refusal(sql: str, provider: str) -> str | None:
    """Why `sql` is not exactly one read-only SELECT for `provider`'s dialect, or None when it is.

    SQL that does not parse is refused too: a statement this check cannot read is not sent.
    """
    dialect = DIALECTS.get(provider)
    if dialect is None:
        return f"{provider!r} is not a SQL provider"
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first.get("line") else ""
        return f"it does not parse as {dialect} SQL ({first.get('description') or 'syntax error'}{where})"
    except TokenError as exc:
        return f"it does not parse as {dialect} SQL (cannot tokenize it: {' '.join(str(exc).split())[:200]})"
    except RecursionError:
        return "it nests too deeply to check"
    if len(statements) != 1:
        return f"it holds {len(statements)} statements, not exactly one SELECT"
    statement = statements[0]
    if not is_select(statement):
        kind = type(statement).__name__.upper()
        return f"it is {'an' if kind[0] in 'AEIOU' else 'a'} {kind} statement, not a SELECT"
    found = writes(statement, dialect)
    if found:
        return f"it is not read-only: it contains {', '.join(found)}"
    return None
