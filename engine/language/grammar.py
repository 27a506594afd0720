"""The definition language's keys and value shapes, stated once (docs/design/grammar.md).

The loader takes its allowed keys from here, the JSON Schema editors use
(docs/schema/definition.schema.json) is generated from here, and the test that every accepted
key has an effect walks the same tree, so `safeguard check`, editors and the engine agree.
`reads` names the model attribute a key sets (Class.attribute), for that test.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.language.model import FIELD_TYPES, MAX_AMOUNT, SEVERITIES, UNITS, Unit

NAME = "^[a-z][a-z0-9_]*$"
DOCUMENT_ID = "^[a-z][a-z0-9_-]*$"
REGIONS = ("england-and-wales", "scotland", "northern-ireland")
SCOPES = ("episode", "case")
CONDITION = "A condition in the project's expression language (docs/authoring.md)."


@dataclass(frozen=True)
class ValueShape:
    """A value shape; `description` is shown by editors."""

    description: str = ""


@dataclass(frozen=True)
class Text(ValueShape):
    pattern: str | None = None
    min_length: int | None = None


@dataclass(frozen=True)
class Boolean(ValueShape):
    """true or false (only those words: yes/no/on/off are text)."""


@dataclass(frozen=True)
class Whole(ValueShape):
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Day(ValueShape):
    """A date written YYYY-MM-DD."""


@dataclass(frozen=True)
class Words(ValueShape):
    """One of a fixed set of words."""

    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exactly(ValueShape):
    value: str = ""


@dataclass(frozen=True)
class Listed(ValueShape):
    item: ValueShape = field(default_factory=ValueShape)
    min_items: int | None = None


@dataclass(frozen=True)
class Key:
    """One key of a mapping: its value's shape and the model attribute it sets."""

    name: str
    node: ValueShape
    reads: str = ""


@dataclass(frozen=True)
class Fields(ValueShape):
    """A mapping with fixed keys; `one_key_of` lists keys of which exactly one is given.

    An `entry` (a fact, field, stage, requirement, escalation or check) may override an
    inherited one key by key, so its `required` keys are checked after merging, not per file.
    """

    keys: tuple[Key, ...] = ()
    required: tuple[str, ...] = ()
    one_key_of: tuple[str, ...] = ()
    nullable: bool = False
    entry: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)


@dataclass(frozen=True)
class Entries(ValueShape):
    """A mapping from ids (or names) to values of one shape."""

    value: ValueShape = field(default_factory=ValueShape)
    names: str | None = None


@dataclass(frozen=True)
class Either(ValueShape):
    """One of several shapes; `overlapping` when a value may fit more than one."""

    options: tuple[ValueShape, ...] = ()
    overlapping: bool = False


@dataclass(frozen=True)
class Named(ValueShape):
    """A shape defined once under `$defs` (anchors and due rules nest)."""

    name: str = ""


def _limit(minimum: int, units: tuple[Unit, ...], before: bool) -> Fields:
    amounts = tuple(Key(u, Whole(minimum=minimum, maximum=MAX_AMOUNT[u]), "Limit.amount")
                    for u in units)
    extra = (Key("before", Boolean(), "Limit.before"),) if before else ()
    return Fields(keys=amounts + extra, one_key_of=units)


DAYS_UNITS: tuple[Unit, ...] = tuple(u for u in UNITS if u != "hours")


def _window(description: str, closes_at: int) -> Fields:
    return Fields(description, keys=(Key("from", _limit(0, DAYS_UNITS, False), "Limit.opens"),
                                     Key("by", _limit(closes_at, DAYS_UNITS, False))),
                  required=("from", "by"))


WINDOW_WORDS = ("A due window: not yet due before 'from', overdue after 'by' (both from the "
                "same start).")
LIMIT = Either("The limit: one unit (ten years at most), or a window {from, by}.",
               (_limit(0, UNITS, True), _window(WINDOW_WORDS, 0)))
CONDITION_TEXT = Text(CONDITION, min_length=1)
EVERY_LIMIT = Either(options=(_limit(1, DAYS_UNITS, False), _window(WINDOW_WORDS, 1)))
EVERY = Either("A recurring interval (at least 1; not in hours), a window {from, by}, or a "
               "choice of interval by a condition on the fact it counts from.",
               EVERY_LIMIT.options + (Fields(keys=(
                   Key("when", CONDITION_TEXT, "DueRule.when"),
                   Key("then", EVERY_LIMIT, "DueRule.parts"),
                   Key("otherwise", EVERY_LIMIT, "DueRule.parts")),
                   required=("when", "then", "otherwise")),))
NAME_TEXT = Text(pattern=NAME)
NAMES = Either(options=(NAME_TEXT, Listed(item=NAME_TEXT)))


def changes(shape: Either, item: ValueShape) -> Either:
    """A list an overlay may also extend or trim: `{add: [...], remove: [names]}`."""
    change = Fields("Changes the inherited list: add items, remove items by name.",
                    keys=(Key("add", Listed(item=item)), Key("remove", Listed(item=Text()))))
    return Either(shape.description, shape.options + (change,))


CHANGED_NAMES = changes(NAMES, NAME_TEXT)
MATCHER = Either(options=(NAME_TEXT, Fields(keys=(Key("fact", NAME_TEXT, "Matcher.fact"),
                                                  Key("when", CONDITION_TEXT, "Matcher.when")),
                                            required=("fact",))))
MATCHERS = Either(options=(MATCHER, Listed(item=MATCHER)))
CHANGED_MATCHERS = changes(MATCHERS, MATCHER)

ANCHOR = Either(options=(
    Exactly(value="trigger"),
    Fields(keys=(
        Key("first", NAME_TEXT, "Anchor.fact"), Key("last", NAME_TEXT, "Anchor.fact"),
        Key("nth", NAME_TEXT, "Anchor.fact"), Key("n", Whole(minimum=1), "Anchor.n"),
        Key("field", NAME_TEXT, "Anchor.field"),
        Key("where", Text("A condition on the anchor fact: only matching facts are "
                          "candidates.", min_length=1), "Anchor.where"),
        Key("otherwise", Named("The anchor to use when this one is not recorded.", "anchor"),
            "Anchor.otherwise"))),
))
CLOCK = Fields(keys=_limit(0, UNITS, True).keys + (Key("anchor", Named(name="anchor"),
                                                       "DueRule.anchor"),),
               one_key_of=UNITS)
DUE_RULE = Either("A clock (a limit with its own optional anchor), the earliest or latest of "
                  "several, or a choice by condition (docs/authoring.md).", (
                      CLOCK,
                      Fields(keys=(Key("earliest_of", Listed(item=Named(name="due_rule"),
                                                             min_items=2), "DueRule.parts"),),
                             required=("earliest_of",)),
                      Fields(keys=(Key("latest_of", Listed(item=Named(name="due_rule"),
                                                           min_items=2), "DueRule.parts"),),
                             required=("latest_of",)),
                      Fields(keys=(Key("when", CONDITION_TEXT, "DueRule.when"),
                                   Key("then", Named(name="due_rule"), "DueRule.parts"),
                                   Key("otherwise", Named(name="due_rule"), "DueRule.parts")),
                             required=("when", "then", "otherwise"))))
DUE = Either("A limit, a clock with its own anchor, the earliest or latest of several, or a "
             "choice by condition (docs/authoring.md).", (LIMIT, Named(name="due_rule")),
             overlapping=True)

REQUIREMENT_VERSION = Fields(keys=(
    Key("effective_from", Day(), "Requirement.effective_from"),
    Key("effective_to", Day(), "Requirement.effective_to"),
    Key("title", Text(), "Requirement.title"), Key("owner", Text(), "Requirement.owner"),
    Key("source", Text(), "Requirement.source"), Key("due", LIMIT, "Requirement.due"),
    Key("every", EVERY_LIMIT, "Requirement.every"),
    Key("statutory", Boolean(), "Requirement.statutory"),
    Key("local_exception", Text(), "Requirement.local_exception"),
    Key("description", Text(), "Requirement.description")), required=("effective_from",))

REQUIREMENT = Fields(keys=(
    Key("title", Text(), "Requirement.title"), Key("owner", Text(), "Requirement.owner"),
    Key("source", Text(), "Requirement.source"), Key("on", MATCHERS, "Requirement.triggers"),
    Key("when", CONDITION_TEXT, "Matcher.when"),
    Key("anchor", Named(name="anchor"), "Requirement.anchor"),
    Key("due", DUE, "Requirement.due"),
    Key("completed_by", CHANGED_MATCHERS, "Requirement.completed_by"),
    Key("cancelled_by", CHANGED_MATCHERS, "Requirement.cancelled_by"),
    Key("active_in", CHANGED_NAMES, "Requirement.active_in"),
    Key("every", EVERY, "Requirement.every"),
    Key("once", Boolean(), "Requirement.once"), Key("single", Boolean(), "Requirement.single"),
    Key("statutory", Boolean(), "Requirement.statutory"),
    Key("local_exception", Text(), "Requirement.local_exception"),
    Key("description", Text(), "Requirement.description"),
    Key("versions", Listed("Dated changes; each clock uses the version in force on its "
                           "anchor date.", REQUIREMENT_VERSION, 1), "Requirement.versions"),
    Key("runs_after_closure", Boolean("Closing the case does not cancel it (a professional "
                                   "disagreement runs until resolved)."),
        "Requirement.runs_after_closure"),
    Key("not_triggered_in", changes(Either("Stages in which a trigger starts no clock (the "
                                           "case stays there): a referral about a child "
                                           "already on a plan.", NAMES.options), NAME_TEXT),
        "Requirement.not_triggered_in"),
    Key("every_set_by", Listed("Facts that change the interval of a recurring requirement "
                               "from when they are recorded (a manager sets visits to "
                               "weekly).", Fields(keys=(
                                   Key("fact", NAME_TEXT, "Matcher.fact"),
                                   Key("when", CONDITION_TEXT, "Matcher.when"),
                                   Key("every", _limit(1, DAYS_UNITS, False),
                                       "IntervalChange.every")),
                                   required=("fact", "every"))),
        "Requirement.every_set_by"),
    Key("from_birth", Boolean("A clock that would start before the child's birth starts at "
                              "the birth (an unborn child is not asked to be seen)."),
        "Requirement.from_birth"),
    Key("until_age", Fields(keys=(
        Key("age", Whole("The child's age in years, read from the date of birth.", 1, 25),
            "AgeLimit.age"),
        Key("bring_forward", Boolean("An occurrence that would fall due on or after the "
                                     "birthday is due the day before it instead."),
            "AgeLimit.bring_forward")), required=("age",)),
        "Requirement.until_age"),
    Key("calendar", Text("The name of a calendar in 'calendars' this requirement counts in.",
                         pattern=NAME), "Requirement.calendar"),
    Key("rescheduled_by", Listed("Facts that move an open action's due date to a date they "
                                 "record, if recorded before it is late.", Fields(keys=(
                                     Key("fact", NAME_TEXT, "Matcher.fact"),
                                     Key("field", NAME_TEXT, "Reschedule.field"),
                                     Key("when", CONDITION_TEXT, "Matcher.when")),
                                     required=("fact", "field"))),
        "Requirement.rescheduled_by")),
    required=("on", "due"), entry=True)

FIELD = Either(options=(Words(values=FIELD_TYPES), Fields(keys=(
    Key("type", Words(values=FIELD_TYPES), "Field.type"),
    Key("values", Either(options=(Text(), Listed(item=Text()))), "Field.values"),
    Key("min", Whole(), "Field.minimum"), Key("max", Whole(), "Field.maximum"),
    Key("required", Boolean(), "Field.required"), Key("fields", NAMES, "Field.item_fields"),
    Key("description", Text(), "Field.description")), required=("type",), entry=True)))
FACT = Fields(nullable=True, entry=True, keys=(
    Key("title", Text(), "FactType.title"), Key("description", Text(), "FactType.description"),
    Key("fields", Entries(value=FIELD, names=NAME), "FactType.fields"),
    Key("follows", CHANGED_NAMES, "FactType.follows"),
    Key("whenever", Either("A fact worked out from others: it happens, dated as they are, "
                           "whenever one of these does (never sent by a case system).",
                           MATCHERS.options), "FactType.whenever")))
STAGE = Fields(nullable=True, entry=True, keys=(
    Key("title", Text(), "Stage.title"), Key("phase", Text(), "Stage.phase"),
    Key("owner", Text(), "Stage.owner"), Key("start", Boolean(), "Stage.start"),
    Key("terminal", Boolean(), "Stage.terminal"), Key("records", CHANGED_NAMES, "Stage.records"),
    Key("description", Text(), "Stage.description")))
TRANSITION = Fields(keys=(
    Key("id", Text(), "Transition.id"),
    Key("from", Either(options=(Text(), Listed(item=Text()))), "Transition.from_stages"),
    Key("to", NAME_TEXT, "Transition.target"), Key("on", NAME_TEXT, "Transition.on"),
    Key("when", CONDITION_TEXT, "Matcher.when"), Key("label", Text(), "Transition.label"),
    Key("reopens", Boolean(), "Transition.reopens")), required=("from", "to", "on"))
ESCALATION = Fields(keys=(
    Key("title", Text(), "Escalation.title"), Key("to", Text(), "Escalation.to"),
    Key("source", Text(), "Escalation.source"),
    Key("requirements", Either(options=(Exactly(value="statutory"), Listed(item=NAME_TEXT),
                                        NAME_TEXT), overlapping=True),
        "Escalation.requirements"),
    Key("when_overdue", _limit(0, ("working_days",), False), "Escalation.overdue_by"),
    Key("condition", CONDITION_TEXT, "Escalation.condition"),
    Key("persists", _limit(0, DAYS_UNITS, False), "Escalation.persists")), required=("to",),
    entry=True)
CHECK_VERSION = Fields(keys=(
    Key("effective_from", Day(), "Check.effective_from"),
    Key("effective_to", Day(), "Check.effective_to"), Key("title", Text(), "Check.title"),
    Key("condition", CONDITION_TEXT, "Check.condition"), Key("source", Text(), "Check.source"),
    Key("advice", Text(), "Check.advice"),
    Key("severity", Words(values=SEVERITIES), "Check.severity")), required=("effective_from",))
CHECK = Fields(keys=(
    Key("title", Text(), "Check.title"), Key("condition", CONDITION_TEXT, "Check.condition"),
    Key("source", Text(), "Check.source"), Key("advice", Text(), "Check.advice"),
    Key("severity", Words(values=SEVERITIES), "Check.severity"),
    Key("versions", Listed("Dated changes; a check uses the version in force on the as-of "
                           "date.", CHECK_VERSION, 1), "Check.versions"),
    Key("scope", Words("episode (default): the current episode's facts; case: every episode.",
                       SCOPES), "Check.scope")), required=("condition",), entry=True)
SOURCE = Either(options=(Text(), Fields(keys=(Key("text", Text(), "Source.text"),
                                              Key("url", Text(), "Source.url")),
                                        required=("text",))))
CALENDAR = Fields(keys=(
    Key("region", Words(values=REGIONS), "Calendar.region"),
    Key("closures", changes(Either(options=(Listed(item=Day()),)), Day()), "Calendar.closures"),
    Key("openings", changes(Either("Bank holidays the local offices work (working days).",
                                   (Listed(item=Day()),)), Day()), "Calendar.openings"),
    Key("terms", Listed("Term dates: when given, only days within a term are working days "
                        "(school days).", Fields(keys=(Key("from", Day()), Key("to", Day())),
                                                  required=("from", "to"))),
        "Calendar.terms")))

DOCUMENT = Fields(
    "A procedure (processes/*.yaml) or a reusable rule set (rules/*.yaml). `safeguard "
    "check` applies every rule here and many more (references, graph, limits).",
    keys=(
        Key("procedure", Text(pattern=DOCUMENT_ID), "Procedure.id"),
        Key("rule_set", Text(pattern=DOCUMENT_ID), "Procedure.id"),
        Key("title", Text(), "Procedure.title"),
        Key("version", Either(options=(Text(), Whole())), "Procedure.version"),
        Key("effective_from", Day(), "Procedure.effective_from"),
        Key("effective_to", Day(), "Procedure.effective_to"),
        Key("description", Text(), "Procedure.description"),
        Key("extends", Text(pattern=DOCUMENT_ID), "Procedure.extends"),
        Key("uses", changes(Either(options=(Text(pattern=DOCUMENT_ID),
                                            Listed(item=Text(pattern=DOCUMENT_ID)))),
                            Text(pattern=DOCUMENT_ID)), "Procedure.uses"),
        Key("sources", Entries(value=SOURCE), "Procedure.sources"),
        Key("calendar", CALENDAR, "Procedure.calendar"),
        Key("calendars", Entries("Named calendars a requirement may count in instead of the "
                                 "procedure's (`calendar: school`).", CALENDAR, NAME),
            "Procedure.calendars"),
        Key("lists", Entries(value=Listed(item=Text())), "Field.values"),
        Key("facts", Entries(value=FACT, names=NAME), "Procedure.facts"),
        Key("stages", Entries(value=STAGE, names=NAME), "Procedure.stages"),
        Key("transitions", Listed(item=TRANSITION), "Procedure.transitions"),
        Key("requirements", Entries(value=REQUIREMENT, names=NAME), "Procedure.requirements"),
        Key("escalations", Entries(value=ESCALATION, names=NAME), "Procedure.escalations"),
        Key("checks", Entries(value=CHECK, names=NAME), "Procedure.checks"),
        Key("remove", Listed(item=NAME_TEXT), "")),
    one_key_of=("procedure", "rule_set"))

DEFS: dict[str, ValueShape] = {"anchor": ANCHOR, "due_rule": DUE_RULE}
