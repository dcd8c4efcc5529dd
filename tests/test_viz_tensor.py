"""viz on the vector engine: records with op, shape, dtype and small values; roles; frames."""

from __future__ import annotations

import re

import numpy as np
import pytest

import viz
from vector import Tensor, ops
from viz.roles import CURRENT_FILL, FILL, Role


class Parameter(Tensor):  # recognised by class name, like vector.nn.Parameter
    __slots__ = ()


def record(source: str, title: str) -> str:
    (line,) = [ln for ln in source.splitlines() if re.match(rf'\s*n\d+ \[label="{title} ', ln)]
    return line


def two_layer() -> tuple[Tensor, dict[str, Tensor]]:
    """The seed loop's network relu(X @ W1) @ W2 on a batch of 4, summed to a scalar."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=False, label="X")
    w1 = Parameter(rng.standard_normal((3, 5)).astype(np.float32), label="W1")
    w2 = Tensor(rng.standard_normal((5, 2)).astype(np.float32), label="W2")
    loss = ops.summation(ops.relu(x @ w1) @ w2)
    return loss, {"X": x, "W1": w1, "W2": w2}


def test_records_show_op_shape_dtype_and_roles() -> None:
    loss, t = two_layer()
    source = viz.draw(loss, params=[t["W2"]]).source
    assert len(re.findall(r"^\s*n\d+ \[", source, flags=re.M)) == 7
    assert len(re.findall(r" -> ", source)) == 6  # no op nodes: records link directly
    assert "(4, 3) float32" in record(source, "X")
    assert "(3, 5) float32" in record(source, "W1")
    assert "v1 = matmul | (4, 5) float32" in source
    assert "v2 = relu | (4, 5) float32" in source
    assert "v3 = matmul | (4, 2) float32" in source
    assert "v4 = summation | () float32 |" in source  # a scalar: its value is shown
    assert f'fillcolor="{FILL[Role.CONSTANT]}"' in record(source, "X")
    assert f'fillcolor="{FILL[Role.PARAMETER]}"' in record(source, "W1")  # by class name
    assert f'fillcolor="{FILL[Role.PARAMETER]}"' in record(source, "W2")  # by params=
    assert f'fillcolor="{FILL[Role.OUTPUT]}"' in record(source, "v4")
    assert "cluster_legend" in source
    assert "sends" not in source and "∂" not in source  # tensor edges carry no numbers


def test_small_tensors_show_values_and_grads_large_ones_only_shapes() -> None:
    a = Tensor(np.array([1.0, 2.0, 3.0]), label="a")
    b = Tensor(np.arange(12.0).reshape(3, 4), label="b")
    y = ops.summation(ops.add_scalar(a, 3.0)) + ops.summation(b)
    y.backward()
    source = viz.draw(y).source
    assert "a | (3,) float64 | [1, 2, 3] | grad [1, 1, 1]" in source
    assert "b | (3, 4) float64 | grad shape (3, 4)" in source
    assert "= add_scalar(3" in source


def test_a_plus_a_has_two_edges() -> None:
    a = Tensor([1.0, 2.0], label="a")
    source = viz.draw(a + a).source
    edges = re.findall(r"n0 -> n1 \[label=<.*?arg (\d)<.*?>\]", source)
    assert edges == ["1", "2"]


def test_deterministic_across_builds() -> None:
    assert viz.draw(two_layer()[0]).source == viz.draw(two_layer()[0]).source


def test_frames_one_per_step_with_partial_adjoints_so_far() -> None:
    a = Tensor(np.array([1.0, 2.0]), label="a")
    b = Tensor(np.array([3.0, 4.0]), label="b")
    y = ops.summation(a * b)
    frames = [f.source for f in viz.backward_frame_graphs(y)]
    edge_texts = [" ".join(ln for ln in f.splitlines() if " -> " in ln) for f in frames]
    steps = y.backward(trace=True)
    assert len(frames) == len(steps) == 4
    assert edge_texts[0].count("sends") == 1  # the sum sends ones to a·b
    assert "sends [1, 1]" in edge_texts[0]
    assert edge_texts[1].count("sends") == 3  # a·b sends b to a and a to b
    assert "sends [3, 4]" in edge_texts[1] and "sends [1, 2]" in edge_texts[1]
    assert edge_texts[3].count("sends") == 3  # leaves send nothing
    assert f'fillcolor="{CURRENT_FILL}"' in record(frames[1], "v1 = multiply")


def test_node_step_of_a_tensor_node() -> None:
    a = Tensor(np.array([1.0, 2.0]), label="a")
    b = Tensor(np.array([3.0, 4.0]), label="b")
    prod = a * b
    y = ops.summation(prod)
    y.backward()
    source = viz.node_step(prod, root=y).source
    assert "sends [3, 4]" in source and "sends [1, 2]" in source
    assert "(2,) float64" in source


def test_tangents_need_a_scalar_graph() -> None:
    a = Tensor([1.0], label="a")
    with pytest.raises(TypeError, match="scalar graph"):
        viz.draw(a * a, tangents={a: 1.0})
