"""A complexity budget for audience specs, checked after validation and before any SQL exists.

A valid spec can still be expensive: each behavioural condition scans `events`, and a
`sequence` sorts its two steps' events per user. Issue 21 found one ~2 KB spec (20 sequences
inside an `any`) that took 20 GB before the sequence rewrite; the rewrite made the cost
linear (N=20: 7.8 s, 1.4 GB on 1.5M events), and this budget bounds N. Window sizes are
bounded per field by the spec (MAX_DAYS) and no longer change a sequence's cost (one sort
whatever within_days is), so they are not summed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ducky.audience.errors import Problem, SpecError
from ducky.audience.spec import (
    AllGroup,
    AnyGroup,
    AttributeCondition,
    AudienceSpec,
    CartAbandonmentCondition,
    NotGroup,
    SequenceCondition,
)

MAX_NODES = 200  # conditions and groups in one spec
MAX_SEQUENCES = 10  # `sequence` conditions (one sort of two steps' events each)
MAX_EVENT_SCANS = 40  # passes over `events`: 2 per sequence / cart abandonment, else 1


@dataclass(frozen=True)
class Cost:
    nodes: int = 0
    sequences: int = 0
    event_scans: int = 0


class SpecTooComplex(SpecError):
    """A valid spec over the complexity budget (the API answers 413)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__([problem])
        self.args = (f"audience spec over the complexity budget: {problem.message}",)


def cost(node: Any) -> Cost:
    """Nodes, sequences and event scans of a condition tree (iterative: no recursion limit)."""
    nodes = sequences = scans = 0
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        nodes += 1
        if isinstance(n, AllGroup | AnyGroup):
            stack.extend(n.conditions)
        elif isinstance(n, NotGroup):
            stack.append(n.condition)
        elif isinstance(n, SequenceCondition):
            sequences += 1
            scans += 2
        elif isinstance(n, CartAbandonmentCondition):
            scans += 2
        elif not isinstance(n, AttributeCondition):
            scans += 1
    return Cost(nodes, sequences, scans)


def check(spec: AudienceSpec) -> Cost:
    """The spec's cost, or SpecTooComplex naming the first limit it passes."""
    c = cost(spec.where)
    for value, limit, what in (
        (c.nodes, MAX_NODES, "conditions and groups"),
        (c.sequences, MAX_SEQUENCES, "sequence conditions"),
        (c.event_scans, MAX_EVENT_SCANS, "passes over events"),
    ):
        if value > limit:
            raise SpecTooComplex(Problem("where", f"{value} {what}, the limit is {limit}"))
    return c
