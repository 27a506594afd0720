"""One case's journey on a date axis (`draw case CASE --timeline`): model + CaseStatus ->
Chart, laid out here for an A4 landscape page (an extract step; dot.py draws the Chart).

Stages are numbered bands across the top, each requirement is a row of bars from its clock's
start to its due date (or to when it was done), escalations and flags are markers and the
as-of date is a line. Every status has its own fill and border and its own words (✓ done,
+3 wd late, ○ open, ⚠ overdue, ✗ cancelled), never colour alone.
"""
from __future__ import annotations

from datetime import date, timedelta

from engine.evaluation.status import Action, CaseStatus
from engine.language.model import Procedure

from .chart import Chart, Shape
from .words import long_date

WIDTH = 780.0            # A4 landscape less 10 mm margins (785 pt), so nothing is shrunk
LABELS = 205.0           # the column of row names
RIGHT = 50.0             # room after the last date for '+12 wd' labels
ROW, BAR = 15.0, 9.0
TOP = 44.0               # under the title and subtitle
TEXT_PT = 9.0            # every word on the chart is at least this size
AHEAD = 90               # days after the as-of date shown at most (open actions due later)
STATUS_WORDS = {"done": "done on time", "done_late": "done late", "not_yet_due": "open",
                "due": "open, due", "overdue": "overdue", "cancelled": "cancelled",
                "unknown": "not recorded by the source"}


class Axis:
    """Dates to x positions across the plot."""

    def __init__(self, first: date, last: date, as_of: date) -> None:
        self.first, self.days, self.as_of = first, max(1, (last - first).days), as_of

    def x(self, day: date) -> float:
        """Dates past the end of the axis stay at its end."""
        days = min((day - self.first).days, self.days)
        return LABELS + (WIDTH - LABELS - RIGHT) * days / self.days


def timeline(proc: Procedure, status: CaseStatus) -> Chart:
    """The chart for one case as of its status date."""
    axis = Axis(*_span(status), status.as_of)
    rows = _rows(status)
    shapes = [*_heading(proc, status), *_months(axis, 40 + (len(rows) + 2) * ROW)]
    bands, key = _stages(proc, status, axis)
    shapes += bands
    y = TOP + 40
    markers = _markers(status, axis, y + len(rows) * ROW,
                       {r: y + i * ROW for i, (r, _) in enumerate(rows)})
    for i, (_, actions) in enumerate(rows):
        taken = [m.x + m.width for m in markers if m.y == y + i * ROW]
        shapes += _row(i, y + i * ROW, actions, axis, taken)
    y += len(rows) * ROW
    shapes += markers
    y += 2 * ROW
    shapes.append(_as_of_line(axis, status.as_of, y))
    shapes += _stage_key(key, y + 6)
    y += 6 + ROW * ((len(key) + 2) // 3)
    shapes += _legend(y + 6)
    return Chart("timeline", f"Case {status.case}: timeline", WIDTH, y + 6 + 2 * ROW,
                 tuple(shapes))


def _span(status: CaseStatus) -> tuple[date, date]:
    days = [p.entered for p in status.path] + [a.anchor.date for a in status.actions
                                              if a.anchor]
    first = min(days, default=status.as_of)
    ends = [a.due for a in status.actions if a.is_open and a.due]
    later = min(max(ends, default=status.as_of), status.as_of + timedelta(days=AHEAD))
    return first - timedelta(days=2), max(later, status.as_of) + timedelta(days=2)


def _rows(status: CaseStatus) -> list[tuple[str, list[Action]]]:
    """One row per requirement, in order of its first clock's start."""
    rows: dict[str, list[Action]] = {}
    for action in sorted(status.actions, key=_start):
        rows.setdefault(action.requirement, []).append(action)
    return list(rows.items())


def _start(action: Action) -> tuple[date, str]:
    return (action.anchor.date if action.anchor else action.due or date.min, action.id)


def _heading(proc: Procedure, status: CaseStatus) -> list[Shape]:
    stage = proc.stage(status.stage)
    now = stage.title if stage else status.stage
    return [Shape("title", 0, 0, WIDTH, 18, "chart_heading",
                  f"Case {status.case}: the journey to {long_date(status.as_of)}"),
            Shape("subtitle", 0, 20, WIDTH, 14, "chart_text",
                  f"{proc.title} ('{proc.id}' version {proc.version}). Now: {now}")]


def _months(axis: Axis, height: float) -> list[Shape]:
    """A tick and a name at the first of a month: every month, or every n months so that a
    long span still has at most about 18 ticks."""
    day = date(axis.first.year, axis.first.month, 1)
    step = max(1, round(axis.days / 30.4 / 18 + 0.49))
    out: list[Shape] = []
    while (day - axis.first).days <= axis.days:
        if day >= axis.first:
            x = axis.x(day)
            out.append(Shape(f"month_{day.isoformat()}", x, TOP, 40, 12, "chart_month",
                             f"{day:%b %Y}" if day.month == 1 or not out else f"{day:%b}"))
            out.append(Shape(f"tick_{day.isoformat()}", x, TOP + 12, 0.6, height - 12,
                             "chart_tick"))
        month = day.month - 1 + step
        day = date(day.year + month // 12, month % 12 + 1, 1)
    return out


def _stages(proc: Procedure, status: CaseStatus, axis: Axis
            ) -> tuple[list[Shape], list[str]]:
    """Numbered bands for the stages the case passed through; their names in a key below."""
    out: list[Shape] = []
    key: list[str] = []
    for i, step in enumerate(status.path, start=1):
        stage = proc.stage(step.stage)
        title = stage.title if stage else step.stage
        end = step.left or status.as_of
        x0, x1 = axis.x(step.entered), max(axis.x(end), axis.x(step.entered) + 14)
        words = f"{title}: {_span_words(step.entered, step.left)}"
        out.append(Shape(f"band_{i}", x0, TOP + 16, x1 - x0, 20,
                         "chart_band_current" if step.left is None else "chart_band",
                         str(i), f"Stage {i}, {words}"))
        key.append(f"{i} {words}")
    return out, key


def _span_words(start: date, end: date | None) -> str:
    if end is None:
        return f"from {_short(start)}"
    return _short(start) if end == start else f"{_short(start)} to {_short(end)}"


def _short(day: date) -> str:
    """'9 Jan 2023': the key keeps to one line a stage."""
    return f"{day.day} {day:%b %Y}"


def _row(i: int, y: float, actions: list[Action], axis: Axis, taken: list[float]
         ) -> list[Shape]:
    """The row's name, then its bars; `taken` are the right edges of markers on the row."""
    name = actions[0].title
    out = [Shape(f"row_{i}", 0, y, LABELS - 6, ROW, "chart_row", _cut(name, 40), name)]
    for n, action in enumerate(actions):
        out += _bar(f"{action.requirement}_{n}", action, y, axis, taken)
    return out


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _bar(ident: str, action: Action, y: float, axis: Axis, taken: list[float]
         ) -> list[Shape]:
    start = action.anchor.date if action.anchor else action.due or axis.first
    end = _end(action, axis)
    x0, x1 = axis.x(start), max(axis.x(end), axis.x(start) + 3)
    days = action.working_days_overdue
    late = f"+{days} wd" if action.status in ("overdue", "done_late") and days else ""
    desc = (f"{action.title}: {STATUS_WORDS.get(action.status, action.status)}; clock from "
            f"{long_date(start)}, due {long_date(action.due)}"
            + (f", done {long_date(action.done_on)}" if action.done_on else "")
            + (f", {days} working days late" if late else ""))
    out = [Shape(f"bar_{ident}", x0, y + (ROW - BAR) / 2, x1 - x0, BAR,
                 f"bar_{action.status}", "", desc)]
    if late:
        after = max([x1, *(x for x in taken if x1 - 14 <= x <= x1 + 40)])  # past ▲ markers
        out.append(Shape(f"late_{ident}", after + 2, y, 40, ROW, "chart_late",
                         ("⚠ " if action.status == "overdue" else "") + late))
    return out


def _end(action: Action, axis: Axis) -> date:
    if action.done_on:
        return action.done_on
    if action.cancelled_on:
        return action.cancelled_on
    if action.status == "overdue":
        return axis.as_of
    return max(action.due or axis.first, axis.first)


def _markers(status: CaseStatus, axis: Axis, y: float, rows: dict[str, float]
             ) -> list[Shape]:
    """▲ escalations on their requirement's row (else the escalations row), ⚑ flags."""
    by_action = {a.id: a.requirement for a in status.actions}
    out = [Shape("row_escalations", 0, y, LABELS - 6, ROW, "chart_row", "Escalations ▲"),
           Shape("row_flags", 0, y + ROW, LABELS - 6, ROW, "chart_row", "Flags ⚑")]
    for i, e in enumerate(status.escalations):
        row = rows.get(by_action.get(e.action or "", ""), y)
        out.append(Shape(f"escalation_{i}", axis.x(e.since) - 5, row, 12, ROW,
                         "chart_escalation", "▲",
                         f"Escalated to {e.to} on {long_date(e.since)}: {e.title}"))
    same_day: dict[date, int] = {}
    for i, f in enumerate(status.flags):
        day = f.since or status.as_of
        beside = same_day[day] = same_day.get(day, -1) + 1   # flags of one day side by side
        out.append(Shape(f"flag_{i}", axis.x(day) - 5 + 12 * beside, y + ROW, 12, ROW,
                         "chart_flag", "⚑", f"Flag from {long_date(day)}: {f.title}"))
    return out


def _as_of_line(axis: Axis, as_of: date, bottom: float) -> Shape:
    return Shape("as_of", axis.x(as_of), TOP + 12, 1.5, bottom - TOP - 12, "chart_as_of", "",
                 f"As of {long_date(as_of)}")


def _stage_key(key: list[str], y: float) -> list[Shape]:
    """The stage names, three to a line, under the chart."""
    width = WIDTH / 3
    return [Shape(f"stage_key_{i}", (i % 3) * width, y + (i // 3) * ROW, width - 6, ROW,
                  "chart_text", _cut(words, 52)) for i, words in enumerate(key)]


LEGEND = (("bar_done", "✓ done on time"), ("bar_done_late", "✓ done late: +n wd"),
          ("bar_not_yet_due", "○ open, not yet due"), ("bar_overdue", "⚠ overdue: +n wd"),
          ("bar_cancelled", "✗ cancelled"), ("chart_as_of", "the as-of date"))


def _legend(y: float) -> list[Shape]:
    """A sample of each bar with its words: fills and borders differ, and so do the words."""
    width = WIDTH / len(LEGEND)
    out = []
    for i, (look, words) in enumerate(LEGEND):
        x = i * width
        out.append(Shape(f"legend_sample_{i}", x, y + 3, 24 if look != "chart_as_of" else 1.5,
                         BAR, look))
        out.append(Shape(f"legend_text_{i}", x + 28, y, width - 30, ROW, "chart_text", words))
    out.append(Shape("legend_note", 0, y + ROW, WIDTH, ROW, "chart_text",
                     "wd = working days. ▲ escalation, ⚑ flag. Bars run from the date the "
                     "clock started to the date done, or to the due date while open."))
    return out
