"""What each node has received from a recorded reverse pass, by step: the one place viz reads it.

A reverse pass (`root.backward(trace=True)`) is a list of steps; at step k (1-based) the node
being processed sends one partial adjoint along each input edge. The frames, the page's drawing,
its data and the trace tables all ask the same question: what has node v received by the end of
step k, from whom, in which order? `arrivals` answers it once; the page ships its answer to the
browser rather than working it out again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autodiff import Node, Step


@dataclass(frozen=True)
class Arrival:
    """One partial adjoint received: sent at `step` (1-based) by `sender` along its input edge
    `argument`. The root's seed arrives at step 1 with `sender` None and `argument` -1."""

    step: int
    sender: Node | None
    argument: int
    partial: Any


def arrivals(steps: Sequence[Step]) -> dict[int, list[Arrival]]:
    """Every partial adjoint each node receives, by node id, in the order the pass adds them.

    Constant inputs receive nothing (their edge's partial adjoint is None).
    """
    out: dict[int, list[Arrival]] = {}
    if steps:
        out[steps[0].node.id] = [Arrival(1, None, -1, steps[0].adjoint)]
    for k, step in enumerate(steps, start=1):
        for m, edge in enumerate(step.edges):
            if edge.partial_adjoint is not None:
                arrival = Arrival(k, step.node, m, edge.partial_adjoint)
                out.setdefault(edge.input.id, []).append(arrival)
    return out


def received_by(steps: Sequence[Step], k: int) -> dict[int, list[Arrival]]:
    """What each node has received in steps 1..k (the step k sends included); nodes that have
    received nothing yet are left out."""
    out: dict[int, list[Arrival]] = {}
    for node_id, got in arrivals(steps).items():
        sent = [a for a in got if a.step <= k]
        if sent:
            out[node_id] = sent
    return out


def running_sum(parts: Sequence[Any]) -> Any:
    """The sum of partial adjoints in the pass's order of additions (left to right)."""
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def sums_by(steps: Sequence[Step], k: int) -> dict[int, Any]:
    """For each node that has received something by step k, the sum of what it received: its
    gradient so far (the final gradient once k is the last step)."""
    return {
        node_id: running_sum([a.partial for a in got])
        for node_id, got in received_by(steps, k).items()
    }


def step_numbers(steps: Sequence[Step]) -> dict[int, int]:
    """The step (1-based) at which each processed node is processed, by node id."""
    return {step.node.id: k for k, step in enumerate(steps, start=1)}
