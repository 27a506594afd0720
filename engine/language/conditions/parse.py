"""Condition text -> a condition tree: a small expression form parsed with `ast`, never evaluated.

Grammar (documented in docs/authoring.md): comparisons, and/or/not, `in [...]`,
`'x' in list_field`, field access (`outcome`, `referral.source`, `latest(t).grade`),
`exists(type[, condition][, since=type])`, `count(list)`, `lacking(list, sub, ...)`,
`age_at(type)`, `case.stage`, `case.days_in_stage`, `case.months_in_stage`, `child.age`,
`has(field)` (the field is recorded), `previous(type)` (in a `when`: the one before this fact),
and date comparisons: `date`, `latest(t).date` or a date field, shifted by `days(n)`, `weeks(n)`,
`months(n)` or `years(n)`, compared with another date (docs/design/expressions.md).
"""
from __future__ import annotations

import ast
from typing import Any

from engine.language.conditions.tree import (
    BETWEEN,
    DURATIONS,
    FUNCTIONS,
    SELECTORS,
    And,
    Compare,
    Condition,
    DateCompare,
    DateTerm,
    Exists,
    Not,
    Op,
    Or,
    Ref,
)

OPS: dict[type[ast.cmpop], Op] = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
                                  ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in"}


class ParseError(Exception):
    """A condition outside the language; `col` is 0-based within the expression text."""

    def __init__(self, message: str, col: int = 0):
        super().__init__(message)
        self.col = col


MAX_DEPTH = 100  # levels of the Python syntax tree; real conditions use about ten


def parse(text: str) -> Condition:
    """Parse condition text into a Condition tree, or raise ParseError at the column at fault."""
    if not isinstance(text, str) or not text.strip():
        raise ParseError("a condition must be non-empty text")
    text = " ".join(text.split())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        single = _single_equals(text)
        if single is not None:
            raise ParseError("'=' is not a comparison: use '==' to compare", single) from None
        at = (exc.offset or 0) - 1
        raise ParseError(f"cannot read the condition: {exc.msg}",
                         at if 0 <= at < len(text) else len(text)) from None
    except (RecursionError, MemoryError):
        raise ParseError(f"the condition nests more than {MAX_DEPTH} levels deep") from None
    _check_depth(tree.body)
    return _cond(tree.body)


def _check_depth(root: ast.AST) -> None:
    """Refuse a tree deeper than MAX_DEPTH before anything recurses over it (`not` x 900)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"the condition nests more than {MAX_DEPTH} levels deep",
                             getattr(node, "col_offset", 0))
        stack += [(child, depth + 1) for child in ast.iter_child_nodes(node)]


def _single_equals(text: str) -> int | None:
    """Where a lone '=' (not part of ==, !=, <=, >=) stands outside quotes, if anywhere."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "=" and text[i - 1:i] not in ("=", "!", "<", ">") \
                and text[i + 1:i + 2] != "=":
            return i
    return None


def _cond(node: ast.AST) -> Condition:
    if isinstance(node, ast.BoolOp):
        parts = tuple(_cond(v) for v in node.values)
        return And(parts) if isinstance(node.op, ast.And) else Or(parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Not(_cond(node.operand))
    if isinstance(node, ast.Compare):
        return _compare(node)
    if isinstance(node, ast.Call) and _func_name(node) == "exists":
        return _exists(node)
    if isinstance(node, ast.Call) and _func_name(node) == "has":
        return _has(node)
    raise ParseError("expected a comparison, exists(...), has(...), and, or, not",
                     _col(node))


def _has(node: ast.Call) -> Compare:
    """`has(field)`: the field is recorded (a guard before reading an optional field)."""
    if len(node.args) != 1 or node.keywords:
        raise ParseError("has(...) takes one field, like has(outcome)", _col(node))
    ref = _ref(node.args[0])
    if ref.func:
        raise ParseError("has(...) takes a field, like has(latest(review).outcome)",
                         _col(node))
    return Compare(Ref(ref.scope, ref.field, ref.select, ref.n, "present", (), ref.col), "==",
                   True, _col(node))


def _compare(node: ast.Compare) -> Compare | DateCompare | And | Or:
    if len(node.ops) != 1:
        raise ParseError("compare two things at a time: use 'and' to join comparisons",
                         _col(node))
    op = OPS.get(type(node.ops[0]))
    if op is None:
        raise ParseError("unsupported comparison (use == != < <= > >= in, not in)", _col(node))
    left, right = node.left, node.comparators[0]
    if isinstance(left, ast.Call) and _func_name(left) in BETWEEN:
        return _between(node, op, left, right)
    if _is_date(left) or _is_date(right) or not (_is_literal(left) or _is_literal(right)):
        return _date_compare(node, op, left, right)
    if op in ("in", "not in") and _is_literal(left):
        ref = _ref(right)
        has = Ref(ref.scope, ref.field, ref.select, ref.n, "has", (str(_literal(left)),), ref.col)
        return Compare(has, "==" if op == "in" else "!=", True, _col(node))
    if _is_literal(left) and not _is_literal(right):
        raise ParseError("put the field on the left, the value on the right", _col(left))
    value = _literal(right)
    if op in ("in", "not in") and not isinstance(value, tuple):
        raise ParseError("'in' needs a list of values, like ['a', 'b']", _col(right))
    return Compare(_ref(left), op, value, _col(node))


def _between(node: ast.Compare, op: Op, call: ast.Call, right: ast.AST
             ) -> DateCompare | And | Or:
    """`months_between(a, b) >= n`: whole units from date a to date b, compared with n.

    Rewritten as date comparisons (b >= a + n units), so it is evaluated like them: unknown
    when a date is missing. Whole months are calendar months, clamped at a month's end.
    """
    unit = BETWEEN[_func_name(call)]
    value = _literal(right) if _is_literal(right) else None
    if len(call.args) != 2 or call.keywords or type(value) is not int or value < 0:
        raise ParseError(f"{_func_name(call)}(earlier date, later date) is compared with a "
                         "whole number, like >= 2", _col(node))
    if op in ("in", "not in"):
        raise ParseError("compare a number of days, weeks, months or years with == != < <= > "
                         ">=", _col(node))
    start, end, col = _date_term(call.args[0]), _date_term(call.args[1]), _col(node)

    def at_least(n: int) -> DateCompare:
        return DateCompare(end, ">=", DateTerm(start.ref, start.shift + ((n, unit),)), col)

    def less_than(n: int) -> DateCompare:
        return DateCompare(end, "<", DateTerm(start.ref, start.shift + ((n, unit),)), col)

    if op in (">=", ">"):
        return at_least(value + (op == ">"))
    if op in ("<", "<="):
        return less_than(value + (op == "<="))
    if op == "==":
        return And((at_least(value), less_than(value + 1)))
    return Or((less_than(value), at_least(value + 1)))


def _is_date(node: ast.AST) -> bool:
    """A date term: `date`, `x.date`, a shifted date (`... + months(6)`), or a field compared
    with another field (only dates may be compared with each other)."""
    if isinstance(node, ast.BinOp):
        return True
    if isinstance(node, ast.Name):
        return node.id == "date"
    return isinstance(node, ast.Attribute) and node.attr == "date"


def _date_compare(node: ast.Compare, op: Op, left: ast.AST, right: ast.AST) -> DateCompare:
    if op in ("in", "not in"):
        raise ParseError("compare dates with == != < <= > >=", _col(node))
    if _is_literal(left):
        raise ParseError("put the date field on the left, the value on the right",
                         _col(left))
    first = _date_term(left)
    if _is_literal(right):
        value = _literal(right)
        if not isinstance(value, str):
            raise ParseError("compare a date with another date or a date like '2024-04-01'",
                             _col(right))
        return DateCompare(first, op, value, _col(node))
    return DateCompare(first, op, _date_term(right), _col(node))


def _date_term(node: ast.AST) -> DateTerm:
    shift: list[tuple[int, str]] = []
    while isinstance(node, ast.BinOp):
        if not isinstance(node.op, (ast.Add, ast.Sub)):
            raise ParseError("dates can only be moved with + or -", _col(node))
        amount, unit = _duration(node.right)
        shift.insert(0, (amount if isinstance(node.op, ast.Add) else -amount, unit))
        node = node.left
    if isinstance(node, ast.Name) and node.id == "date":
        return DateTerm(Ref("", "date", col=_col(node)), tuple(shift))
    ref = _ref(node)
    if ref.func or ref.is_context:
        raise ParseError("expected a date: date, latest(type).date or a date field",
                         _col(node))
    return DateTerm(ref, tuple(shift))


def _duration(node: ast.AST) -> tuple[int, str]:
    if isinstance(node, ast.Call) and _func_name(node) in DURATIONS and len(node.args) == 1 \
            and not node.keywords and isinstance(node.args[0], ast.Constant):
        amount = node.args[0].value
        if type(amount) is int and amount >= 0:
            return amount, _func_name(node)
    raise ParseError("a length of time is days(n), weeks(n), months(n) or years(n)",
                     _col(node))


def _exists(node: ast.Call) -> Exists:
    args = node.args
    if not args or len(args) > 2 or not isinstance(args[0], ast.Name):
        raise ParseError("exists(...) takes a fact type and an optional condition", _col(node))
    since, after, before = None, None, None
    for kw in node.keywords:
        if kw.arg == "since" and isinstance(kw.value, ast.Name):
            since = kw.value.id
        elif kw.arg == "since" and isinstance(kw.value, ast.Call):
            after = _bound(kw.value)
        elif kw.arg == "until":
            before = ("latest", kw.value.id, 1) if isinstance(kw.value, ast.Name) else \
                _bound(kw.value)
        else:
            raise ParseError("exists(...) only accepts since=<fact type>, since=episode, "
                             "since=latest(type, n) and until=...", kw.value.col_offset)
    where = _cond(args[1]) if len(args) == 2 else None
    return Exists(args[0].id, where, since, _col(node), after, before)


def _bound(node: ast.expr) -> tuple[str, str, int]:
    """`latest(type)`, `latest(type, n)` or `first(type, n)`: one end of a window."""
    if not isinstance(node, ast.Call) or _func_name(node) not in ("latest", "first"):
        raise ParseError("a window's end is a fact type, latest(type, n) or first(type, n)",
                         _col(node))
    fact, n = _selector_args(node)
    return _func_name(node), fact, n


def _func_name(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else ""


def _ref(node: ast.AST) -> Ref:
    if isinstance(node, ast.Name):
        return Ref("", node.id, col=_col(node))
    if isinstance(node, ast.Attribute):
        return _attribute(node)
    if isinstance(node, ast.Call):
        return _call_ref(node)
    raise ParseError("expected a field, like outcome or referral.source", _col(node))


def _attribute(node: ast.Attribute) -> Ref:
    base = node.value
    if isinstance(base, ast.Name):
        return Ref(base.id, node.attr, col=_col(node))
    if isinstance(base, ast.Call) and _func_name(base) in SELECTORS:
        fact, n = _selector_args(base)
        return Ref(fact, node.attr, _func_name(base), n, col=base.args[0].col_offset)
    raise ParseError("expected type.field or latest(type).field", _col(node))


def _selector_args(node: ast.Call) -> tuple[str, int]:
    args = node.args
    fact = args[0] if args else None
    count = args[1] if len(args) == 2 else None
    if not isinstance(fact, ast.Name) or len(args) > 2 or node.keywords or not _positive(count):
        raise ParseError(f"{_func_name(node)}(type) or {_func_name(node)}(type, n) with n >= 1",
                         _col(node))
    n = count.value if isinstance(count, ast.Constant) and isinstance(count.value, int) else 1
    return fact.id, n


def _positive(count: ast.expr | None) -> bool:
    """No count given, or a whole number of at least 1."""
    if count is None:
        return True
    return isinstance(count, ast.Constant) and type(count.value) is int and count.value >= 1


def _col(node: ast.AST) -> int:
    """Where a node starts in the condition text (0 for nodes without a position)."""
    return int(getattr(node, "col_offset", 0))


def _call_ref(node: ast.Call) -> Ref:
    name = _func_name(node)
    if name == "age_at" and len(node.args) == 1 and isinstance(node.args[0], ast.Name):
        return Ref(node.args[0].id, "age", func="age_at", col=_col(node))
    if name in ("count", "lacking") and node.args and not node.keywords:
        inner = _ref(node.args[0])
        subs = tuple(_word(a) for a in node.args[1:])
        if name == "lacking" and not subs:
            raise ParseError("lacking(list, field, ...) names the fields an item must have",
                             _col(node))
        return Ref(inner.scope, inner.field, inner.select, inner.n, name, subs, _col(node))
    known = ", ".join(FUNCTIONS)
    raise ParseError(f"unknown function '{name or '?'}' (known: {known})", _col(node))


def _word(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ParseError("expected a field name", _col(node))


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("true", "false", "True", "False")
    return isinstance(node, (ast.Constant, ast.List, ast.Tuple)) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub))


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Name) and node.id in ("true", "True"):
        return True
    if isinstance(node, ast.Name) and node.id in ("false", "False"):
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(_literal(e) for e in node.elts)
    raise ParseError("expected a value: a number, 'text', true, false or a list", _col(node))
