"""Connector compiler: YAML connectors in, diagnostics, execution plans and reference docs out.

The pipeline, one package per stage:

    load/   YAML text -> documents with source positions
    check/  schema, then semantic rules -> diagnostics
    lower/  a valid connector -> an execution plan (ordered passes)
    emit/   plans, reports and generated docs

`compiler.plan` is the contract shared with the runtime; it imports nothing else from here.
"""

from compiler.version import __version__

__all__ = ["__version__"]
