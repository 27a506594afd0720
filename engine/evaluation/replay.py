"""Replay a case's facts in date order through the stage transitions.

One transition per fact at most: the first, in definition order, that leaves the current
stage and whose matcher the fact satisfies (durable-rules decided which facts match).
Episodes: the first fact opens episode 1; each `reopens: true` transition out of a terminal
stage opens the next, and every later fact belongs to it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.evaluation.case import Fact
from engine.evaluation.status import PathStep
from engine.language.model import Procedure, Transition
from engine.rules_engine.compiler import Plan

ANY = ("any", "*")


@dataclass(frozen=True)
class Replay:
    """Where the case was after each fact, and the path it took."""

    after: tuple[str, ...]
    path: tuple[PathStep, ...]
    moves: tuple[tuple[int, Transition], ...]
    episode_starts: tuple[int, ...] = (0,)

    def episode(self, pos: int) -> int:
        """The episode (1, 2, ...) of the fact at `pos`."""
        starts = self.episode_starts
        if len(starts) == 1:
            return 1
        return sum(1 for s in starts if s <= pos)

    @property
    def current_start(self) -> int:
        """Position of the fact that opened the current (last) episode."""
        return self.episode_starts[-1]


def start_stage(proc: Procedure) -> str:
    """The stage every case starts in ('safeguard check' makes sure there is exactly one)."""
    if proc.start is None:
        raise ValueError(f"procedure '{proc.id}' has no start stage")
    return proc.start.id


def replay(proc: Procedure, plan: Plan, facts: list[Fact], matches: dict[str, set[int]]
           ) -> Replay:
    """Stage after each fact and the path, from matcher results."""
    terminal = {s.id for s in proc.stages if s.terminal}
    current = start_stage(proc)
    entered = facts[0].date if facts else None
    steps: list[PathStep] = []
    after: list[str] = []
    moves: list[tuple[int, Transition]] = []
    starts = [0]
    candidates = _candidates(proc, plan, matches)
    for pos, fact in enumerate(facts):
        at = candidates.get(pos)
        move = _first_move(at, current, terminal) if at is not None else None
        if move is not None:
            if move.reopens:
                starts.append(pos)
            if entered is not None and not (pos == 0 and current == start_stage(proc)
                                            and not steps):
                steps.append(PathStep(current, entered, fact.date))
            current, entered = move.target, fact.date
            moves.append((pos, move))
        after.append(current)
    if entered is not None:
        steps.append(PathStep(current, entered, None))
    return Replay(tuple(after), tuple(steps), tuple(moves), tuple(starts))


def _candidates(proc: Procedure, plan: Plan, matches: dict[str, set[int]]
                ) -> dict[int, list[Transition]]:
    """Position -> the transitions whose matcher that fact satisfies, in definition order:
    most facts move nothing, and are then not compared with every transition."""
    out: dict[int, list[Transition]] = {}
    for transition in proc.transitions:
        for pos in matches.get(plan.matcher_rule(transition.on)) or ():
            out.setdefault(pos, []).append(transition)
    return out


def _first_move(transitions: Sequence[Transition], current: str, terminal: set[str]
                ) -> Transition | None:
    is_terminal = current in terminal
    for transition in transitions:
        if transition.reopens != is_terminal:
            continue
        leaves = current in transition.from_stages or (
            not is_terminal and any(s in ANY for s in transition.from_stages))
        if leaves and transition.target != current:
            return transition
    return None
