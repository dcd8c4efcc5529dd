"""The reverse pass as frames, and one node's backward step, read from the DOT text."""

from __future__ import annotations

import re

import pytest
from browser_helpers import arithmetic_lines, right_at_the_digits_shown

import viz
from scalar.value import Value
from viz.roles import CURRENT_FILL, PENDING_FILL


def baydin() -> dict[str, Value]:
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    nodes = {"x1": x1, "x2": x2}
    nodes["v1"] = x1.log()
    nodes["v2"] = x1 * x2
    nodes["v3"] = x2.sin()
    nodes["v4"] = nodes["v1"] + nodes["v2"]
    nodes["v5"] = nodes["v4"] - nodes["v3"]
    for name, node in nodes.items():
        node.label = name
    return nodes


def record_line(source: str, name: str) -> str:
    (line,) = [ln for ln in source.splitlines() if re.match(rf'\s*n\d+ \[label="{name} \|', ln)]
    return line


# The reverse pass visits the Baydin graph in this order; each step sends these partial adjoints.
ORDER = ["v5", "v3", "v4", "v2", "x2", "v1", "x1"]
SENT = {
    "v5": ["sends 1 × 1 = 1", "sends 1 × (−1) = −1"],
    "v3": ["sends −1 × 0.2837 = −0.2837"],
    "v4": ["sends 1 × 1 = 1", "sends 1 × 1 = 1"],
    "v2": ["sends 1 × 5 = 5", "sends 1 × 2 = 2"],
    "x2": [],
    "v1": ["sends 1 × 0.5 = 0.5"],
    "x1": [],
}


def test_one_frame_per_reverse_step() -> None:
    g = baydin()
    frames = viz.backward_frame_graphs(g["v5"])
    steps = g["v5"].backward(trace=True)
    assert len(frames) == len(steps) == 7
    assert [s.node.label for s in steps] == ORDER
    assert g["x1"].grad == 5.5  # the frames ran a real backward pass


@pytest.mark.parametrize("k", range(7))
def test_frame_k_shows_partial_adjoints_up_to_step_k_and_no_later(k: int) -> None:
    g = baydin()
    source = viz.backward_frame_graphs(g["v5"])[k].source
    edge_lines = "\n".join(line for line in source.splitlines() if " -> " in line)
    shown = re.findall(r"sends [^<]*", edge_lines)
    expected = [text for name in ORDER[: k + 1] for text in SENT[name]]
    assert sorted(shown) == sorted(expected)
    # local derivatives are known from the forward pass, so every frame shows all eight
    assert len(re.findall("∂v\\d/∂", edge_lines)) == 8


def test_frame_highlights_current_node_and_greys_nodes_not_reached() -> None:
    g = baydin()
    frame = viz.backward_frame_graphs(g["v5"])[3].source  # step 4 processes v2
    assert "step 4 of 7: v2 has adjoint 1; it sends 5 to x1, 2 to x2" in frame
    current = record_line(frame, "v2")
    assert f'fillcolor="{CURRENT_FILL}"' in current and "penwidth=3" in current
    for name in ("x1", "x2", "v1"):
        assert f'fillcolor="{PENDING_FILL}"' in record_line(frame, name)
    for name in ("v3", "v4", "v5"):
        line = record_line(frame, name)
        assert PENDING_FILL not in line and CURRENT_FILL not in line
    # a node not reached yet shows what it has collected so far, not its final grad
    assert "grad — (so far 5)" in record_line(frame, "x1")  # as the page writes it
    assert "grad — (so far 1.716)" in record_line(frame, "x2")
    assert "grad 1" in record_line(frame, "v4")
    assert "being processed" in frame and "not reached yet" in frame


def test_frames_are_deterministic() -> None:
    first = [f.source for f in viz.backward_frame_graphs(baydin()["v5"])]
    second = [f.source for f in viz.backward_frame_graphs(baydin()["v5"])]
    assert first == second


def test_node_step_shows_adjoint_in_local_derivatives_and_partial_adjoints_out() -> None:
    g = baydin()
    g["v5"].backward()
    source = viz.node_step(g["v2"], root=g["v5"]).source
    assert "one backward step at v2 = x1 × x2" in source
    assert "v̄ = 1 arrives at v2" in source
    assert "∂v2/∂x1 = 5" in source and "sends 1 × 5 = 5" in source
    assert "∂v2/∂x2 = 2" in source and "sends 1 × 2 = 2" in source
    assert source.count(" -> ") == 3  # adjoint in, one partial adjoint out per input

    sine = viz.node_step(g["v3"]).source
    assert "∂v3/∂x2 = 0.2837" in sine and "sends −1 × 0.2837 = −0.2837" in sine


def test_node_step_of_a_plus_a_sends_two_partial_adjoints_to_one_input() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    source = viz.node_step(b).source
    assert "the seed" in source
    assert len(re.findall(r"current -> input\d+", source)) == 2
    assert len(re.findall(r"^\s*input\d+ \[", source, flags=re.M)) == 1
    assert "arg 1: ∂b/∂a = 1" in source and "arg 2: ∂b/∂a = 1" in source


def test_node_step_of_a_leaf_and_of_a_constant_input() -> None:
    x = Value(2.0, label="x")
    y = x * 3
    y.backward()
    assert "nothing to send" in viz.node_step(x).source
    assert "a constant: sends nothing" in viz.node_step(y).source


def test_current_node_shows_its_adjoint_as_the_sum_of_what_it_received() -> None:
    frames = [f.source for f in viz.backward_frame_graphs(baydin()["v5"])]
    assert "grad −0.2837 + 2 = 1.716" in record_line(frames[4], "x2")  # x2 feeds * and sin
    assert "grad 5 + 0.5 = 5.5" in record_line(frames[6], "x1")  # x1 feeds * and ln
    assert "+" not in record_line(frames[3], "v2")  # one consumer: nothing to add up


def test_a_single_node_graph() -> None:
    x = Value(4.0, label="x")
    (frame,) = viz.backward_frame_graphs(x)
    assert "x is a leaf, so that is its gradient" in frame.source
    assert "grad 1" in record_line(viz.draw(x).source, "x")


def test_node_step_refuses_a_node_outside_root_graph() -> None:
    g = baydin()
    g["v5"].backward()
    with pytest.raises(ValueError, match="not part of the graph"):
        viz.node_step(Value(1.0), root=g["v5"])


def test_every_product_and_sum_in_the_pictures_is_right_at_the_digits_shown() -> None:
    a, b, c = Value(1.5, label="a"), Value(2.0, label="b"), Value(0.3, label="c")
    f = (a * b + c).tanh() ** 2  # saturating: small adjoints, where fixed digits go wrong
    sources = [frame.source for frame in viz.backward_frame_graphs(f)]
    sources.append(viz.draw(f).source)
    sources.append(viz.draw(f, tangents={a: 1.0}).source)
    sources += [viz.node_step(node, root=f).source for node in (f, f.inputs[0], a)]
    lines = [line for source in sources for line in arithmetic_lines(source)]
    assert len(lines) > 40
    for line in lines:
        assert right_at_the_digits_shown(line), line
