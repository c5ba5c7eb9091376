"""Stage 2: loaded documents -> diagnostics. Schema first (`schema`), then semantic rules (`rules/`).

`checker.check_file` handles one file; `checker.check_project` runs the cross-file rules over all files' facts.
This package file stays empty so that light modules (codes, result, facts) import without the heavy ones.
"""
