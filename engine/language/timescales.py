"""Timescales in definitions: limits (`{working_days: 15}`), due windows, anchors and due rules.

Part of the loader's third pipeline step: it reads the `due`, `every`, `anchor` and escalation
limits of requirements and escalations into model objects, collecting every problem on the
shared Reader.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.core.errors import Loc
from engine.language.located import LocDict, LocList, normalise_space
from engine.language.model import (
    MAX_AMOUNT,
    UNITS,
    Anchor,
    AnchorKind,
    DueRule,
    IntervalChange,
    Limit,
    Matcher,
)
from engine.language.reader import Reader

DUE_FORMS = ("earliest_of", "latest_of", "when")
ANCHOR_KEYS = ("first", "last", "nth", "n", "field", "where", "otherwise")


class Timescales:
    """Reads limits, due windows, anchors and due rules; problems land on the shared Reader."""

    def __init__(self, reader: Reader):
        self.r = reader

    def limit(self, data: LocDict, key: str, minimum: int = 0,
               window: bool = False) -> Limit | None:
        """`{unit: amount}`; with `window`, also `{from: {...}, by: {...}}` (a due window)."""
        value = data.get(key)
        if value is None:
            return None
        loc = data.value_loc(key)
        value = self.r.mapping(value, loc, f"'{key}'")
        if value is None:
            return None
        if window and ("from" in value or "by" in value):
            return self._window(value, key, loc, minimum)
        allowed = UNITS + (("before",) if key == "due" else ())
        self.r.keys(value, allowed, f"'{key}'")
        units = [u for u in UNITS if u in value]
        if len(units) != 1:
            self.r.error(loc, f"'{key}' needs exactly one of " + ", ".join(UNITS),
                         f"for example  {key}: {{working_days: 15}}")
            return None
        unit = units[0]
        amount = self.r.integer(value, unit)
        if amount is None:
            return None
        where = value.value_loc(unit)
        if amount < minimum:
            need = "a positive interval" if minimum else "a limit of 0 or more"
            self.r.error(where, f"'{key}: {{{unit}: {amount}}}' is impossible: it needs {need}",
                         f"'{unit}' must be at least {minimum}")
            return None
        if unit == "hours" and key != "due":
            self.r.error(where, f"'{key}' cannot be counted in hours; only 'due' can")
            return None
        if unit == "hours" and value.get("before") is True:
            self.r.error(value.key_loc("before"), "a limit in hours counts forward from a "
                         "fact's time: 'before' is not allowed")
            return None
        if amount > MAX_AMOUNT[unit]:
            self.r.error(where, f"'{key}: {{{unit}: {amount}}}' is longer than any procedure "
                         f"needs: at most {MAX_AMOUNT[unit]} {unit} (ten years)")
            return None
        return Limit(amount, unit, where, self.r.boolean(value, "before"))

    def _window(self, value: LocDict, key: str, loc: Loc, minimum: int) -> Limit | None:
        """A due window: due from one limit, overdue after the other (same anchor)."""
        self.r.keys(value, ("from", "by"), f"'{key}'", ("from", "by"))
        opens, closes = self.limit(value, "from"), self.limit(value, "by", minimum)
        if opens is None or closes is None:
            return None
        if opens.before or closes.before:
            self.r.error(loc, f"a due window in '{key}' counts forward: 'before' is not allowed")
            return None
        if opens.unit == "hours" or closes.unit == "hours":
            self.r.error(loc, f"a due window in '{key}' is counted in days, weeks or months")
            return None
        if opens.nominal_days() >= closes.nominal_days():
            self.r.error(loc, f"the window in '{key}' opens ({opens.words}) no earlier than "
                         f"it closes ({closes.words})", "'from' must be shorter than 'by'")
            return None
        return replace(closes, opens=opens)

    def anchor(self, data: LocDict) -> Anchor:
        if data.get("anchor") is None:
            return Anchor()
        return self._anchor_value(data.get("anchor"), data.value_loc("anchor"))

    def _anchor_value(self, value: Any, loc: Loc) -> Anchor:
        """`trigger`, {first|last|nth: type, n, field, where, otherwise} or {field, otherwise}:
        with `field`, the clock starts at that date field of the anchor fact."""
        if value == "trigger":
            return Anchor(loc=loc)
        value = self.r.mapping(value, loc, "'anchor'")
        if value is None:
            return Anchor()
        self.r.keys(value, ANCHOR_KEYS, "'anchor'")
        otherwise = None
        if "otherwise" in value:
            otherwise = self._anchor_value(value["otherwise"], value.value_loc("otherwise"))
        kinds: tuple[AnchorKind, ...] = ("first", "last", "nth")
        for kind in kinds:
            if kind in value:
                fact = self.r.text(value, kind)
                where = self.r.matcher(value, kind, "where") if "where" in value else None
                field = self.r.name(value, "field") if "field" in value else None
                return Anchor(kind, fact, self._nth(value, kind, loc), field or None,
                              loc=value.value_loc(kind), where=where, otherwise=otherwise)
        if "where" in value:
            self.r.error(value.value_loc("where"), "'where' filters first, last or nth")
        if "field" in value:
            return Anchor("field", field=self.r.text(value, "field"),
                          loc=value.value_loc("field"), otherwise=otherwise)
        self.r.error(loc, "'anchor' needs first, last, nth or field")
        return Anchor()

    def due(self, data: LocDict, anchor: Anchor, triggers: tuple[Matcher, ...]
             ) -> tuple[Limit | None, DueRule | None]:
        """The simple `due: {unit: n}`, or a due rule; the first result is the longest clock's
        limit (what statutory comparisons, diagrams and the SSD's recorded dates use). A clock
        counted back from a date (`before`) is no time allowed after anything, so it is the
        representative only when every clock counts back."""
        value = data.get("due")
        if not isinstance(value, LocDict) or not (set(value) & set(DUE_FORMS + ("anchor",))):
            return self.limit(data, "due", window=True), None
        rule = self._due_rule(data, "due", anchor, triggers)
        if rule is None:
            return None, None
        limits = [c.limit for c in rule.clocks() if c.limit is not None]
        forward = [x for x in limits if not x.before] or limits
        return max(forward, key=lambda x: x.nominal_days()) if forward else None, rule

    def _due_rule(self, data: LocDict, key: str | int, anchor: Anchor,
                  triggers: tuple[Matcher, ...]) -> DueRule | None:
        value, loc = data.get(key), data.value_loc(key)
        value = self.r.mapping(value, loc, f"'{key}'")
        if value is None:
            return None
        for kind in ("earliest_of", "latest_of"):
            if kind in value:
                self.r.keys(value, (kind,), f"'{key}'")
                items = value[kind]
                if not isinstance(items, LocList) or len(items) < 2:
                    self.r.error(value.value_loc(kind), f"'{kind}' needs a list of at least "
                                 "two clocks")
                    return None
                wrapped = LocDict(dict(enumerate(items)), loc=items.loc)
                for i in range(len(items)):
                    wrapped.value_locs[i] = items.item_loc(i)
                parts = [self._due_rule(wrapped, i, anchor, triggers) for i in range(len(items))]
                known = tuple(p for p in parts if p is not None)
                if len(known) != len(parts):
                    return None
                return DueRule(kind.split("_")[0], loc, parts=known)
        if "when" in value:
            return self._choice(value, loc, anchor, triggers)
        self.r.keys(value, UNITS + ("before", "anchor"), f"'{key}'")
        own = self._anchor_value(value["anchor"], value.value_loc("anchor")) \
            if "anchor" in value else None
        plain = LocDict({k: v for k, v in value.items() if k != "anchor"}, loc=value.loc)
        plain.value_locs = dict(value.value_locs)
        holder = LocDict({"due": plain}, loc=data.loc)
        holder.value_locs["due"] = loc
        limit = self.limit(holder, "due")
        return DueRule("clock", loc, limit, own) if limit is not None else None

    def _choice(self, value: LocDict, loc: Loc, anchor: Anchor,
                triggers: tuple[Matcher, ...]) -> DueRule | None:
        """`when: <condition on the anchor fact>`, `then: <due>`, `otherwise: <due>`."""
        self.r.keys(value, ("when", "then", "otherwise"), "a due choice",
                    ("then", "otherwise"))
        cond = self.r.condition(value, "when")
        if cond is None or "then" not in value or "otherwise" not in value:
            return None
        facts = (anchor.fact,) if anchor.kind in ("first", "last", "nth") else tuple(
            dict.fromkeys(m.fact for m in triggers))
        text = normalise_space(value["when"])
        span = value.text_span("when")
        when = tuple(Matcher(f, value.value_loc("when"), cond, text, span) for f in facts if f)
        then = self._due_rule(value, "then", anchor, triggers)
        otherwise = self._due_rule(value, "otherwise", anchor, triggers)
        if then is None or otherwise is None:
            return None
        return DueRule("choice", loc, parts=(then, otherwise), when=when, text=text)

    def every(self, data: LocDict, completions: tuple[Matcher, ...]
              ) -> tuple[Limit | None, DueRule | None]:
        """`every: {unit: n}` or a window, or a choice of interval by a condition on the
        fact the next interval counts from (the completion that re-arms it)."""
        value = data.get("every")
        if not isinstance(value, LocDict) or "when" not in value:
            return self.limit(data, "every", minimum=1, window=True), None
        loc = data.value_loc("every")
        self.r.keys(value, ("when", "then", "otherwise"), "an 'every' choice",
                    ("then", "otherwise"))
        cond = self.r.condition(value, "when")
        then = self.limit(value, "then", minimum=1, window=True)
        otherwise = self.limit(value, "otherwise", minimum=1, window=True)
        if cond is None or then is None or otherwise is None:
            return None, None
        text, span = normalise_space(value["when"]), value.text_span("when")
        when = tuple(Matcher(f, value.value_loc("when"), cond, text, span)
                     for f in dict.fromkeys(m.fact for m in completions))
        parts = (DueRule("clock", then.loc, then), DueRule("clock", otherwise.loc, otherwise))
        longest = max((then, otherwise), key=lambda x: x.nominal_days())
        return longest, DueRule("choice", loc, parts=parts, when=when, text=text)

    def interval_changes(self, data: LocDict) -> tuple[IntervalChange, ...]:
        """`every_set_by: [{fact, when, every}]`: facts that change the interval."""
        out = []
        for item in self.r.mappings(data, "every_set_by", ("fact", "when", "every"),
                                    ("fact", "every")):
            matcher = self.r.matcher(item, "fact", "when")
            every = self.limit(item, "every", minimum=1)
            if matcher is not None and every is not None:
                out.append(IntervalChange(matcher, every))
        return tuple(out)

    def _nth(self, value: LocDict, kind: str, loc: Loc) -> int:
        """`n` is required with `nth` (never a silent 1) and meaningless without it."""
        if kind != "nth":
            if "n" in value:
                self.r.error(value.key_loc("n"), f"'n' is only for 'nth', not '{kind}'")
            return 1
        if "n" not in value:
            self.r.error(loc, "'anchor: {nth: ...}' needs 'n', the occurrence that starts the "
                         "clock", "for example  anchor: {nth: core_group, n: 2}")
            return 1
        n = self.r.integer(value, "n")
        if n is not None and n < 1:
            self.r.error(value.value_loc("n"), "'n' counts occurrences from 1")
        return n if n is not None and n >= 1 else 1
