"""What a case's status answers, item by item, and which answers differ between two statuses.

`safeguard diff --stories` runs a partnership's stories under two versions of a procedure and
lists the answers that change (the stage, each action's status and due date, each flag and
escalation), so an upgrade is reviewed against real cases before it is adopted.
"""
from __future__ import annotations

from engine.evaluation.status import Action, CaseStatus


def answers(status: CaseStatus) -> dict[str, str]:
    """Each answer a status gives, keyed by what it is about ('stage', 'action x#1', ...)."""
    out = {"stage": status.stage}
    out |= {f"action {a.id}": _action(a) for a in status.actions}
    out |= {f"flag {f.id}": f.status for f in status.flags}
    out |= {f"escalation {e.id}" + (f" ({e.action})" if e.action else ""): e.status
            for e in status.escalations}
    if status.procedure.get("warning"):
        out["procedure"] = str(status.procedure["warning"])
    return out


def changed_answers(old: CaseStatus, new: CaseStatus) -> list[str]:
    """'key: old -> new' for every answer that differs, in a stable order."""
    before, after = answers(old), answers(new)
    out = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key, "none"), after.get(key, "none")
        if a != b:
            out.append(f"{key}: {a} -> {b}")
    return out


def _action(action: Action) -> str:
    text: str = action.status
    if action.due is not None:
        text += f", due {action.due.isoformat()}"
    if action.working_days_overdue:
        text += f", {action.working_days_overdue} working day(s) late"
    return text
