"""Records -> Discovery Engine documents, as DuckDB SQL over staged Arrow batches (Jinja only when needed)."""

from runtime.map.documents import DocumentSql, compile_mapping
from runtime.map.jinja import render_jinja_columns

__all__ = ["DocumentSql", "compile_mapping", "render_jinja_columns"]
