"""Lowering: a valid connector -> an execution plan, as an ordered tuple of pure passes (`pipeline.PASSES`).

One module per pass: secrets, extraction (with `sql` and `http` helpers), mapping, reconciliation, output,
target.
"""

from compiler.lower.draft import Draft, LoweringError
from compiler.lower.pipeline import PASSES, lower

__all__ = ["PASSES", "Draft", "LoweringError", "lower"]
