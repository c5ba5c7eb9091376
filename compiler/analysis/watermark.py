"""The `:watermark` bind: rendering statements that keep it, and the first-run form that drops it.

Statements use SQLAlchemy's named-bind style (`:watermark`) in every dialect, so the runtime runs them with
`sqlalchemy.text()` and the driver binds the value; nothing is ever formatted into the text.

The snapshot statement of an incremental query is the query with its watermark predicate *neutralised*: each
lower bound on `:watermark` (`col >= :watermark`, `col > :watermark`, `:watermark <= col`, `:watermark < col`)
becomes always-true and is folded away, and `col BETWEEN :watermark AND hi` becomes `col <= hi`. That is what
the query means with a watermark of minus infinity, which is what the first run (no checkpoint, no
`watermarkInitial`) must read. Any other use of `:watermark` is refused with a message, since its meaning for
"read everything" cannot be known.

>>> import sqlglot
>>> tree = sqlglot.parse_one("SELECT id FROM t WHERE ts >= :watermark AND kind = 'a'", read=faithful("postgres"))
>>> render(neutralise_watermark(tree, "postgres"), "postgres")
"SELECT id FROM t WHERE kind = 'a'"
>>> render(tree, "postgres")
"SELECT id FROM t WHERE ts >= :watermark AND kind = 'a'"
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from compiler.analysis.dialects import faithful

WATERMARK = "watermark"

_MARK = "gs_neutral"
"""Meta key on the always-true predicates this module inserts, so folding touches only those."""


class WatermarkShapeError(ValueError):
    """`:watermark` is used in a way whose "read everything" form cannot be derived."""


def render(tree: exp.Expr, dialect: str) -> str:
    """SQL text in `dialect`, quoted names as written and every placeholder a named `:bind` (see `dialects`)."""
    return faithful(dialect).generate(tree, copy=False)


def uses_watermark(tree: exp.Expr) -> bool:
    return any(p.name == WATERMARK for p in tree.find_all(exp.Placeholder))


def _always_true() -> exp.Expr:
    node = exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(1))
    node.meta[_MARK] = True
    return node


def _is_true(node: exp.Expr | None) -> bool:
    return node is not None and bool(node.meta.get(_MARK))


def _comparison_of(placeholder: exp.Expr, dialect: str) -> tuple[exp.Expr, exp.Expr]:
    """The predicate a `:watermark` placeholder bounds and the node under it that holds the placeholder."""
    child, node = placeholder, placeholder.parent
    while node is not None and not isinstance(node, exp.Predicate):
        if isinstance(node, exp.Connector | exp.Not | exp.Query | exp.Where | exp.Having | exp.Join):
            break
        child, node = node, node.parent
    if not isinstance(node, exp.Predicate):
        where = render(placeholder.parent or placeholder, dialect)
        raise WatermarkShapeError(
            f"`:watermark` must be compared with a column (as in `updated_at >= :watermark`), not used in `{where}`"
        )
    return node, child


def _replacement(predicate: exp.Expr, child: exp.Expr, dialect: str) -> exp.Expr:
    if isinstance(predicate, exp.GTE | exp.GT) and child is predicate.expression:
        return _always_true()
    if isinstance(predicate, exp.LTE | exp.LT) and child is predicate.this:
        return _always_true()
    if isinstance(predicate, exp.Between) and child is predicate.args.get("low"):
        high = predicate.args["high"]
        if not uses_watermark(high):
            return exp.LTE(this=predicate.this.copy(), expression=high.copy())
    raise WatermarkShapeError(
        f"`{render(predicate, dialect)}` is not a lower bound on :watermark; write `column >= :watermark` "
        "(or `>`) so the first run can read every row"
    )


def _check_context(predicate: exp.Expr, dialect: str) -> None:
    """Only AND, OR and parentheses may stand between the predicate and its WHERE/HAVING/ON clause."""
    node = predicate.parent
    while node is not None and not isinstance(node, exp.Where | exp.Having | exp.Join):
        if not isinstance(node, exp.And | exp.Or | exp.Paren):
            raise WatermarkShapeError(
                f"`{render(predicate, dialect)}` sits inside `{render(node, dialect)}`; keep watermark "
                "filters at the top of a WHERE, HAVING or JOIN ... ON condition (joined by AND/OR, not NOT)"
            )
        node = node.parent
    if node is None:
        raise WatermarkShapeError(f"`{render(predicate, dialect)}` is not inside a WHERE, HAVING or ON clause")


def _fold_once(tree: exp.Expr) -> bool:
    for node in tree.find_all(exp.Paren, exp.And, exp.Or, exp.Where, exp.Having):
        if isinstance(node, exp.Paren) and _is_true(node.this):
            node.replace(node.this)
        elif isinstance(node, exp.And) and _is_true(node.this):
            node.replace(node.expression)
        elif isinstance(node, exp.And) and _is_true(node.expression):
            node.replace(node.this)
        elif isinstance(node, exp.Or) and (_is_true(node.this) or _is_true(node.expression)):
            node.replace(_always_true())
        elif isinstance(node, exp.Where | exp.Having) and _is_true(node.this):
            node.pop()
        else:
            continue
        return True
    return False


def neutralise_watermark(tree: exp.Expr, dialect: str) -> exp.Expr:
    """A copy of `tree` that reads what it would with a watermark of minus infinity (see the module doc)."""
    result = tree.copy()
    while True:
        placeholder = next((p for p in result.find_all(exp.Placeholder) if p.name == WATERMARK), None)
        if placeholder is None:
            break
        predicate, child = _comparison_of(placeholder, dialect)
        _check_context(predicate, dialect)
        predicate.replace(_replacement(predicate, child, dialect))
    while _fold_once(result):
        pass
    return result


@dataclass(frozen=True, slots=True)
class Bound:
    """One lower bound on `:watermark`: `column` is the side compared with it, `strict` for `>` (or `:w < col`)."""

    column: exp.Expr
    strict: bool
    predicate: exp.Expr


def watermark_bounds(tree: exp.Expr, dialect: str) -> list[Bound]:
    """Every well-formed lower bound on `:watermark` (other shapes are GS114's to report), in query order."""
    bounds: list[Bound] = []
    for placeholder in tree.find_all(exp.Placeholder):
        if placeholder.name != WATERMARK:
            continue
        try:
            predicate, child = _comparison_of(placeholder, dialect)
        except WatermarkShapeError:
            continue
        if isinstance(predicate, exp.GTE | exp.GT) and child is predicate.expression:
            bounds.append(Bound(predicate.this, isinstance(predicate, exp.GT), predicate))
        elif isinstance(predicate, exp.LTE | exp.LT) and child is predicate.this:
            bounds.append(Bound(predicate.expression, isinstance(predicate, exp.LT), predicate))
        elif isinstance(predicate, exp.Between) and child is predicate.args.get("low"):
            bounds.append(Bound(predicate.this, False, predicate))
    return bounds


def unwrapped(node: exp.Expr) -> exp.Expr:
    """`node` without the parentheses, casts and aliases around it (`CAST((x) AS t) AS y` -> `x`)."""
    while isinstance(node, exp.Paren | exp.Cast | exp.Alias):
        node = node.this
    return node
