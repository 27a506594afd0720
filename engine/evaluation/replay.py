"""Replay a case's facts in date order through the stage transitions.

One transition per fact at most: the first, in definition order, that leaves the current
stage and whose matcher the fact satisfies (durable-rules decided which facts match).
Episodes: the first fact opens episode 1; each `reopens: true` transition out of a terminal
stage opens the next, and every later fact belongs to it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.core.frozen import builder
from engine.evaluation.case import Fact
from engine.evaluation.status import PathStep
from engine.language.model import Procedure, Transition
from engine.rules_engine.compiler import Plan

ANY = ("any", "*")
_STEP = builder(PathStep)


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


_REPLAY = builder(Replay)


def start_stage(proc: Procedure) -> str:
    """The stage every case starts in ('safeguard check' makes sure there is exactly one)."""
    if proc.start is None:
        raise ValueError(f"procedure '{proc.id}' has no start stage")
    return proc.start.id


@dataclass(frozen=True)
class Stages:
    """What replay reads of a procedure, worked out once per compiled plan: the start stage,
    the terminal stages, and each transition with its matcher rule and the stages it leaves
    (`_leaves`), in definition order."""

    start: str
    terminal: frozenset[str]
    transitions: tuple[tuple[str, Transition, frozenset[str]], ...]


def stages_of(proc: Procedure, plan: Plan) -> Stages:
    """The procedure's Stages (remembered on the plan, which is compiled from it)."""
    found: tuple[Procedure, Stages] | None = plan.memo.get("replay.stages")
    if found is None or found[0] is not proc:
        terminal = frozenset(s.id for s in proc.stages if s.terminal)
        every = {s.id for s in proc.stages} | {t.target for t in proc.transitions} | {
            s for t in proc.transitions for s in t.from_stages if s not in ANY}
        found = plan.memo["replay.stages"] = (proc, Stages(
            start_stage(proc), terminal,
            tuple((plan.matcher_rule(t.on), t, _leaves(t, every, terminal))
                  for t in proc.transitions)))
    return found[1]


def _leaves(transition: Transition, stages: set[str], terminal: frozenset[str]
            ) -> frozenset[str]:
    """The stages a transition can move a case out of (to another stage): a reopening one
    only leaves terminal stages, any other only stages that are not terminal."""
    return frozenset(s for s in stages if _first_move(((transition, frozenset()),), s, terminal)
                     is transition)


def replay(proc: Procedure, plan: Plan, facts: list[Fact], matches: dict[str, set[int]]
           ) -> Replay:
    """Stage after each fact and the path, from matcher results. Only facts some
    transition's matcher holds for can move the case; the rest keep the stage it is in."""
    table = stages_of(proc, plan)
    current = table.start
    entered = facts[0].date if facts else None
    steps: list[PathStep] = []
    after: list[str] = []
    moves: list[tuple[int, Transition]] = []
    starts = [0]
    candidates = _candidates(table, matches)
    for pos in sorted(candidates):
        move = None
        for transition, leaves in candidates[pos]:
            if current in leaves:
                move = transition
                break
        if move is None:
            continue
        if move.reopens:
            starts.append(pos)
        day = facts[pos].date
        if entered is not None and not (pos == 0 and current == table.start and not steps):
            steps.append(_STEP(current, entered, day))
        after += [current] * (pos - len(after))
        current, entered = move.target, day
        moves.append((pos, move))
        after.append(current)
    after += [current] * (len(facts) - len(after))
    if entered is not None:
        steps.append(_STEP(current, entered))
    return _REPLAY(tuple(after), tuple(steps), tuple(moves), tuple(starts))


_Candidate = tuple[Transition, frozenset[str]]


def _candidates(table: Stages, matches: dict[str, set[int]]) -> dict[int, list[_Candidate]]:
    """Position -> the transitions whose matcher that fact satisfies, in definition order:
    most facts move nothing, and are then not compared with every transition."""
    out: dict[int, list[_Candidate]] = {}
    for rule, transition, leaves in table.transitions:
        for pos in matches.get(rule) or ():
            if pos in out:
                out[pos].append((transition, leaves))
            else:
                out[pos] = [(transition, leaves)]
    return out


def _first_move(transitions: Sequence[_Candidate], current: str, terminal: frozenset[str]
                ) -> Transition | None:
    """The first transition that moves a case out of `current` (the rule `_leaves` is
    worked out from once per procedure)."""
    is_terminal = current in terminal
    for transition, _leaves in transitions:
        if transition.reopens != is_terminal:
            continue
        leaves = current in transition.from_stages or (
            not is_terminal and any(s in ANY for s in transition.from_stages))
        if leaves and transition.target != current:
            return transition
    return None
