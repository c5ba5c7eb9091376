"""GS107 sql-read-only-select: the query is exactly one read-only SELECT.

A sync must never change its source, nor reach past it: no second statement, no INSERT/UPDATE/DELETE (also not
inside a CTE), no SELECT ... INTO, no row locks, no functions that change state (`nextval`, advisory locks,
`set_config`, Oracle's `seq.NEXTVAL`), and no functions that reach outside the session: other servers (`dblink`,
`OPENQUERY`, `OPENROWSET`, `OPENDATASOURCE`, `UTL_HTTP`), server files (`lo_import`/`lo_export` and the other
`lo_*`, `pg_read_file`, `pg_read_binary_file`, `pg_ls_dir`, `pg_stat_file`, `LOAD_FILE`, `UTL_FILE`, `BFILENAME`,
DuckDB's `read_csv` and files named in FROM, SQLite's `readfile`), programs (`xp_cmdshell`, `sys_exec`) and SQL
given as text (`query_to_xml`, `DBMS_SQL`, `DBMS_XMLGEN`). `COPY ... PROGRAM`, `EXEC` and `INTO OUTFILE` are
not a SELECT either. The runtime applies the same check to the plan's statement before sending it (the list
is in `compiler.plan.read_only_sql`); a database user that can only read is still the real boundary.

**Bad**

```yaml
query: DELETE FROM staging; SELECT id, title FROM docs
```

**Good**

```yaml
query: SELECT id, title FROM docs
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS107"
_POINTER = "/spec/source/query"


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    if sql is None or sql.error is not None:
        return
    if sql.statement_count > 1:
        yield Finding(
            CODE,
            f"the query holds {sql.statement_count} statements; write exactly one SELECT",
            _POINTER,
            "remove the extra statements and the ';' between them",
        )
    elif not sql.is_select:
        kind = type(sql.statement).__name__.upper() if sql.statement is not None else "unknown"
        yield Finding(CODE, f"the query is a {kind} statement, not a SELECT", _POINTER, "write one SELECT")
    elif sql.writes:
        yield Finding(
            CODE,
            f"the query is not read-only: it contains {', '.join(sql.writes)}",
            _POINTER,
            "select from the source without modifying or locking it",
        )
