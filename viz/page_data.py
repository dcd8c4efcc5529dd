"""The recorded pass as the stepper page's data: the `#adjoint-trace` JSON.

The page's automation interface: `{"nodes": [{"id", "name", "op", "value", "grad",
"inputs"}], "steps": [{"node", "adjoint", "edges": [{"input", "local", "partial"}]}]}`, plus what
the page needs to draw without working anything out twice:

- per node: its role, its expression (`x1 × x2`) and expression template (`{0} × {1}`, from the
  one renderer `viz.labels.expression`), its trace-table row name (`n (v₄)`), and for scalar
  graphs its primitive, so the page can recompute it;
- `arrivals`: what each node receives, from which step and edge, in the order the pass adds it
  (`viz.passes.arrivals`), so the page sums the numbers of a step without finding the senders;
- `templates`: the text of every line the drawing shows (`viz.labels.TEMPLATES`);
- `recompute` and `forward`: why the page cannot recompute a scalar graph when an input changes,
  or run its forward sweep (None where it can): an op added by `scalar.primitive` without `js`,
  or a micrograd-style `_backward` closure, whose local derivatives are unknown (null in `local`);
- for tensor graphs, every number as the text Python writes (the page cannot add arrays).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from viz.labels import (
    SMALL,
    TEMPLATES,
    array_lines,
    as_array,
    expression,
    op_text,
)
from viz.numbers import number
from viz.passes import arrivals, received_by, running_sum
from viz.scene import Scene
from viz.tangents import closure_node, closure_refusal
from viz.trace import is_arithmetic, row_names

if TYPE_CHECKING:
    from autodiff import Step


def json_number(x: Any) -> float | str:
    """A float for JSON; inf and nan (JSON has neither) as the strings JavaScript's Number reads."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def shape_text(shape: Sequence[int]) -> str:
    """A shape as Python writes a tuple: `(4, 10)`, `(3,)`, `()`."""
    return str(tuple(shape))


def summary(x: Any) -> dict[str, Any]:
    """A tensor (or array) as the page shows it: shape, norm, the values when small, and `text`:
    the values in their matrix shape when small (`[[1, 2], [3, 4]]`), else shape and norm."""
    a = as_array(x)
    values = a.astype(np.float64)
    norm = float(np.sqrt(np.sum(values * values)))
    small = [json_number(v) for v in values.ravel()] if a.size <= SMALL else None
    lines = array_lines(a)
    text = " ".join(lines) if lines is not None else f"{shape_text(a.shape)} norm {number(norm)}"
    return {"shape": list(a.shape), "norm": json_number(norm), "values": small, "text": text}


def trace_data(
    scene: Scene, steps: list[Step], title: str, *, fields: list[int], seeds: list[int]
) -> dict[str, Any]:
    """The page's data (see the module docstring). `fields`: the ids of the inputs that get a
    number field; `seeds`: the ids of the inputs a forward sweep may start from."""
    rows = row_names(scene.root)
    received = arrivals(steps)
    nodes = [
        _tensor_node(scene, n) if scene.tensor else _scalar_node(scene, n) for n in scene.order
    ]
    for entry in nodes:
        entry["row"] = rows.get(entry["id"])
    limits = page_limits(scene)
    data: dict[str, Any] = {
        "kind": "tensor" if scene.tensor else "scalar",
        "title": title,
        "root": scene.root.id,
        "nodes": nodes,
        "steps": _tensor_steps(steps) if scene.tensor else _scalar_steps(steps),
        "arrivals": {
            str(node_id): [[a.step, a.argument] for a in got] for node_id, got in received.items()
        },
        "templates": TEMPLATES,
        "fields": fields,
        "seeds": [] if limits["forward"] else seeds,
        **limits,
    }
    return data


def page_limits(scene: Scene) -> dict[str, str | None]:
    """Why the page cannot recompute the graph when an input changes (`recompute`), or run its
    forward sweep (`forward`); None where it can. A micrograd-style `_backward` closure hides
    its local derivatives from both; a primitive without JavaScript only from the first."""
    if scene.tensor:
        return {"recompute": None, "forward": None}
    closure = closure_node(scene.root)
    if closure is not None:
        reason = closure_refusal("the page", closure)
        return {"recompute": reason, "forward": reason}
    for node in scene.order:
        row = node.primitive if node.inputs else None
        if row is not None and row.js is None:
            return {
                "recompute": f"the page cannot recompute op {row.name!r}: it has no JavaScript "
                "form; give scalar.primitive(...) its js= to change inputs here",
                "forward": None,
            }
    return {"recompute": None, "forward": None}


def _scalar_node(scene: Scene, node: Any) -> dict[str, Any]:
    args = [scene.name(i) for i in node.inputs]
    entry: dict[str, Any] = {
        "id": node.id,
        "name": scene.name(node),
        "op": str(node.op),
        "value": json_number(node.data),
        "grad": json_number(node.grad) if node.requires_grad else None,
        "inputs": [inp.id for inp in node.inputs],
        "requires_grad": bool(node.requires_grad),
        "role": scene.role(node).value,
        "expression": expression(node, args) if node.inputs else "",
        "template": expression(node, [f"{{{k}}}" for k in range(len(args))]) if args else "",
        "arithmetic": str(node.op) if is_arithmetic(node) else None,
        "local": [_local_number(d) for d in node.local_derivatives],
        "primitive": None,
        "exponent": None,
    }
    if node.inputs:
        row = node.primitive  # None for a micrograd-style `_backward` closure
        entry["primitive"] = None if row is None else row.name
        exponent = getattr(node, "exponent", None)
        entry["exponent"] = None if exponent is None else json_number(exponent)
    return entry


def _scalar_steps(steps: list[Step]) -> list[dict[str, Any]]:
    return [
        {
            "node": step.node.id,
            "adjoint": json_number(step.adjoint),
            "edges": [
                {
                    "input": edge.input.id,
                    "local": _local_number(edge.local_derivative),
                    "partial": None
                    if edge.partial_adjoint is None
                    else json_number(edge.partial_adjoint),
                }
                for edge in step.edges
            ],
        }
        for step in steps
    ]


def _local_number(d: Any) -> float | str | None:
    return None if d is None else json_number(d)  # None: a `_backward` closure's, unknown


def _tensor_node(scene: Scene, node: Any) -> dict[str, Any]:
    args = [scene.name(i) for i in node.inputs]
    return {
        "id": node.id,
        "name": scene.name(node),
        "op": op_text(node) if node.inputs else "",
        "value": summary(node),
        "grad": summary(node.grad) if node.requires_grad and node.grad is not None else None,
        "inputs": [inp.id for inp in node.inputs],
        "requires_grad": bool(node.requires_grad),
        "role": scene.role(node).value,
        "expression": expression(node, args) if node.inputs else "",
        "shape": shape_text(node.shape),
        "dtype": str(getattr(node.dtype, "name", node.dtype)),
    }


def _tensor_steps(steps: list[Step]) -> list[dict[str, Any]]:
    # The page cannot add arrays, so Python gives, per step, the running sum of the partial
    # adjoints of every node that received one at that step (the root's seed at step 1).
    out = []
    for k, step in enumerate(steps, start=1):
        got = received_by(steps, k)
        received = {
            str(node_id): summary(running_sum([a.partial for a in parts]))
            for node_id, parts in got.items()
            if parts[-1].step == k
        }
        out.append(
            {
                "node": step.node.id,
                "adjoint": summary(step.adjoint),
                "edges": [
                    {
                        "input": edge.input.id,
                        "local": None,
                        "partial": None
                        if edge.partial_adjoint is None
                        else summary(edge.partial_adjoint),
                    }
                    for edge in step.edges
                ],
                "received": received,
            }
        )
    return out
