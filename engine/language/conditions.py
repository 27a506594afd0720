"""The condition language: a small expression form parsed with `ast`, never evaluated.

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
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
OPS: dict[type[ast.cmpop], Op] = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
                                  ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in"}
NEGATE: dict[Op, Op] = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
                        "in": "not in", "not in": "in"}
CONTEXT = {"case": ("stage", "days_in_stage", "months_in_stage"), "child": ("age",)}
SELECTORS = ("latest", "first", "previous")
FUNCTIONS = ("count", "lacking", "age_at", "exists", "has") + SELECTORS + (
    "days_between", "weeks_between", "months_between", "years_between")
DURATIONS = ("days", "weeks", "months", "years")
BETWEEN = {f"{unit}_between": unit for unit in DURATIONS}
EPISODE = "episode"


@dataclass(frozen=True)
class Ref:
    """A value read from a fact (scope = fact type, '' = the matched fact) or the case context."""

    scope: str
    field: str
    select: str = "any"
    n: int = 1
    func: str = ""
    args: tuple = ()
    col: int = 0

    @property
    def is_context(self) -> bool:
        return self.scope in CONTEXT

    def derived_name(self) -> str:
        """The name of the Python-computed field that holds this value, if derived."""
        if self.func == "count":
            return f"_count_{self.field}"
        if self.func == "lacking":
            return f"_lacking_{self.field}_" + "_".join(self.args)
        if self.func == "has":
            return f"_has_{self.field}_{self.args[0]}"
        if self.func == "age_at":
            return "_age"
        if self.func == "present":
            return f"_rec_{self.field}"
        return self.field


@dataclass(frozen=True)
class Compare:
    ref: Ref
    op: Op
    value: object
    col: int = 0


@dataclass(frozen=True)
class Exists:
    fact: str
    where: Condition | None = None
    since: str | None = None
    col: int = 0


@dataclass(frozen=True)
class DateTerm:
    """A date read from a fact (`ref.field` is 'date' or a date field), shifted by `shift`."""

    ref: Ref
    shift: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class DateCompare:
    """Two dates compared, or a date with a literal date (`right` is then ISO text).

    Always evaluated in Python (docs/design/expressions.md): unknown when either date is
    missing, and an unknown comparison never holds, nor does its negation.
    """

    left: DateTerm
    op: Op
    right: DateTerm | str
    col: int = 0

    def terms(self) -> tuple[DateTerm, ...]:
        return (self.left, self.right) if isinstance(self.right, DateTerm) else (self.left,)


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Compare | DateCompare | Exists | And | Or | Not


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
    since = None
    for kw in node.keywords:
        if kw.arg != "since" or not isinstance(kw.value, ast.Name):
            raise ParseError("exists(...) only accepts since=<fact type> or since=episode",
                             kw.value.col_offset)
        since = kw.value.id
    where = _cond(args[1]) if len(args) == 2 else None
    return Exists(args[0].id, where, since, _col(node))


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


def negate(cond: Condition) -> Condition:
    """Push a `not` down to comparisons and exists (De Morgan); the result has no Not."""
    if isinstance(cond, Not):
        return normalise(cond.part)
    if isinstance(cond, And):
        return Or(tuple(negate(p) for p in cond.parts))
    if isinstance(cond, Or):
        return And(tuple(negate(p) for p in cond.parts))
    if isinstance(cond, Compare):
        return Compare(cond.ref, NEGATE[cond.op], cond.value, cond.col)
    if isinstance(cond, DateCompare):
        return DateCompare(cond.left, NEGATE[cond.op], cond.right, cond.col)
    return Not(cond)  # Not(Exists) is kept: it means absence


def normalise(cond: Condition) -> Condition:
    """Remove every Not except directly around Exists."""
    if isinstance(cond, Not):
        return negate(cond.part)
    if isinstance(cond, And):
        return And(tuple(normalise(p) for p in cond.parts))
    if isinstance(cond, Or):
        return Or(tuple(normalise(p) for p in cond.parts))
    if isinstance(cond, Exists) and cond.where is not None:
        return Exists(cond.fact, normalise(cond.where), cond.since, cond.col)
    return cond


def walk(cond: Condition, into_exists: bool = True) -> Iterator[Condition]:
    """Yield every node of a condition tree, depth first."""
    yield cond
    if isinstance(cond, (And, Or)):
        for part in cond.parts:
            yield from walk(part, into_exists)
    elif isinstance(cond, Not):
        yield from walk(cond.part, into_exists)
    elif isinstance(cond, Exists) and cond.where is not None and into_exists:
        yield from walk(cond.where)


def references(cond: Condition, own: str = "") -> set[str]:
    """Fact types and `type.field` names a condition reads (for coverage: what the case system records)."""
    out: set[str] = set()
    for node in walk(cond):
        if isinstance(node, Compare) and not node.ref.is_context:
            scope = node.ref.scope or own
            out |= {scope, f"{scope}.{node.ref.field}"} if node.ref.func != "age_at" else {
                scope, "child.date_of_birth"}
        elif isinstance(node, Compare):
            out.add("child.date_of_birth" if node.ref.scope == "child" else "case")
        elif isinstance(node, DateCompare):
            for term in node.terms():
                scope = term.ref.scope or own
                out |= {scope} if term.ref.field == "date" else {scope,
                                                                 f"{scope}.{term.ref.field}"}
        elif isinstance(node, Exists):
            out.add(node.fact)
            if node.where is not None:
                out |= references(node.where, node.fact)
    return out


def positive_facts(cond: Condition) -> set[str]:
    """Fact types a condition needs present: referenced or existing outside any negation."""
    cond = normalise(cond)
    if isinstance(cond, (And, Or)):
        return set().union(*(positive_facts(p) for p in cond.parts))
    if isinstance(cond, Compare):
        return {cond.ref.scope} if cond.ref.scope and not cond.ref.is_context else set()
    if isinstance(cond, DateCompare):
        return {t.ref.scope for t in cond.terms() if t.ref.scope}
    if isinstance(cond, Exists):
        return {cond.fact}
    return set()


def is_local(cond: Condition) -> bool:
    """Reads only the one fact's own fields: compiled as a single durable-rules pattern.

    Anything else in a `when` (other facts, dates, episodes) is evaluated in Python over
    durable-rules' single-fact answers (docs/design/expressions.md).
    """
    for node in walk(cond):
        if isinstance(node, (Exists, DateCompare)):
            return False
        if isinstance(node, Compare) and (node.ref.select != "any" or node.ref.is_context):
            return False
    return True


def uncolumned(cond: Condition) -> Condition:
    """The same condition with every column set to 0: equal meaning gives equal keys."""
    if isinstance(cond, (And, Or)):
        return type(cond)(tuple(uncolumned(p) for p in cond.parts))
    if isinstance(cond, Not):
        return Not(uncolumned(cond.part))
    if isinstance(cond, Exists):
        where = uncolumned(cond.where) if cond.where is not None else None
        return Exists(cond.fact, where, cond.since)
    if isinstance(cond, Compare):
        return Compare(replace(cond.ref, col=0), cond.op, cond.value)
    if isinstance(cond, DateCompare):
        right = cond.right if isinstance(cond.right, str) else _uncol_term(cond.right)
        return DateCompare(_uncol_term(cond.left), cond.op, right)
    return cond


def _uncol_term(term: DateTerm) -> DateTerm:
    return DateTerm(replace(term.ref, col=0), term.shift)
