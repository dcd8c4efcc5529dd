"""examples/topo_order.py: the naive pass is wrong by what the used-twice node pushed too early,
backward() is right and repeatable, micrograd's backward accumulates, and the text says so.

Every expected number is derived by hand below from the two functions,
    (a) c = (a + a)² = 4a²                 real dc/da = 8a
    (b) v₄ = eˣ(eˣ + 1) = e²ˣ + eˣ         real dv₄/dx = 2e²ˣ + eˣ
and the real ones are also checked against central differences.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from examples import graphs, topo_order
from examples.topo_order import EXAMPLES
from scalar import numeric_grad

SQUARED_SUM, EXP_USED_TWICE = EXAMPLES


def expected_squared_sum(a: float) -> dict[str, float | tuple[float, ...]]:
    """c = b·b with b = a + a = 2a. c's local derivatives to b are both b = 2a.
    naive: b gets 2a from c's first edge and pushes it to a along both of its edges (2·2a), then
    gets 2a more, holds 4a and pushes all of it again (2·4a): a.grad = 4a + 8a = 12a.
    micrograd twice on one graph: b.grad = 4a + 4a = 8a, a.grad = 8a + 2·8a = 24a.
    """
    return {
        "real": 8 * a,
        "naive": 12 * a,
        "shared_pushes": (2 * a, 4 * a),
        "micrograd_twice": 24 * a,
        "micrograd_twice_shared": 8 * a,
        "micrograd_new_graph": 16 * a,
    }


def expected_exp_used_twice(x: float) -> dict[str, float | tuple[float, ...]]:
    """e = eˣ: v₂ = e, v₃ = e + 1, v₄ = v₂·v₃; ∂v₄/∂v₂ = v₃, ∂v₄/∂v₃ = v₂, ∂v₃/∂v₂ = 1,
    ∂v₂/∂v₁ = e.
    naive: v₄'s first edge gives v₂ the grad e + 1, pushed at once: v₁ gets (e + 1)e. v₄'s second
    edge gives v₃ the grad e, which v₃ passes to v₂: v₂ holds 2e + 1 and pushes all of it, v₁ gets
    (2e + 1)e more. v₁ = 3e² + 2e.
    micrograd twice on one graph: v₃ = 2e; v₂ = (2e + 1) + (e + 1) + 2e = 5e + 2;
    v₁ = (2e + 1)e + (5e + 2)e = 7e² + 3e.
    """
    e = math.exp(x)
    return {
        "real": 2 * e * e + e,
        "naive": 3 * e * e + 2 * e,
        "shared_pushes": (e + 1, 2 * e + 1),
        "micrograd_twice": 7 * e * e + 3 * e,
        "micrograd_twice_shared": 5 * e + 2,
        "micrograd_new_graph": 2 * (2 * e * e + e),
    }


CASES = [
    (SQUARED_SUM, expected_squared_sum),
    (EXP_USED_TWICE, expected_exp_used_twice),
]


@pytest.mark.parametrize("at", [None, -1.5, 0.25])
@pytest.mark.parametrize(("example", "expected"), CASES, ids=["squared_sum", "exp_used_twice"])
def test_numbers_match_the_hand_derivation(example, expected, at) -> None:
    if at is not None:
        example = dataclasses.replace(example, at=at)
    g = topo_order.run(example)
    want = expected(example.at)
    assert g.real == pytest.approx(want["real"])
    assert g.naive == pytest.approx(want["naive"])
    assert g.shared_pushes == pytest.approx(want["shared_pushes"])
    assert g.micrograd_twice == pytest.approx(want["micrograd_twice"])
    assert g.micrograd_twice_shared == pytest.approx(want["micrograd_twice_shared"])
    assert g.micrograd_new_graph == pytest.approx(want["micrograd_new_graph"])


def test_the_examples_are_at_the_stated_points() -> None:
    assert SQUARED_SUM.at == 3.0 and EXP_USED_TWICE.at == 1.0
    a, b = topo_order.run_all()
    assert (a.real, a.naive, a.error, a.factor) == pytest.approx((24, 36, 12, 1.5))
    e = math.e
    assert b.error == pytest.approx(e * e + e)  # v₁ got (e + 1)e, v₂'s first push, too much
    assert b.factor == pytest.approx((3 * e + 2) / (2 * e + 1))


def test_real_grads_agree_with_central_differences() -> None:
    a, b = topo_order.run_all()
    (da,) = numeric_grad(lambda a: (a + a) * (a + a), [SQUARED_SUM.at])
    (dx,) = numeric_grad(lambda x: math.exp(x) * (math.exp(x) + 1), [EXP_USED_TWICE.at])
    assert a.real == pytest.approx(da, rel=1e-7)
    assert b.real == pytest.approx(dx, rel=1e-7)
    assert abs(a.naive - da) > 1 and abs(b.naive - dx) > 1  # the naive pass is far off


def test_graph_b_is_the_used_twice_graph_of_the_project() -> None:
    g = topo_order.run(EXP_USED_TWICE)
    built = graphs.used_twice(EXP_USED_TWICE.at)
    built["v4"].backward()
    assert g.real == built["v1"].grad
    assert g.shared_pushes[-1] == built["v2"].grad  # the naive pass ends with v₂'s full adjoint


@pytest.mark.parametrize("example", EXAMPLES, ids=["squared_sum", "exp_used_twice"])
def test_the_error_is_what_the_shared_node_pushed_too_early(example) -> None:
    g = topo_order.run(example)
    first_push = g.shared_pushes[0]
    local = 1.0 if example is SQUARED_SUM else math.exp(example.at)  # d(shared)/d(input) per edge
    edges = 2 if example is SQUARED_SUM else 1  # b = a + a reaches a twice
    assert g.error == pytest.approx(first_push * local * edges)
    assert g.error > 0


def test_the_naive_pass_is_right_when_no_inner_node_is_reused() -> None:
    # Baydin's x₁ and x₂ are used twice each, but they are leaves and push nothing on: the naive
    # pass only goes wrong at a node with inputs that is used more than once.
    naive, real = graphs.baydin(), graphs.baydin()
    topo_order.naive_backward(naive["v5"])
    real["v5"].backward()
    for name in ("x1", "x2"):
        assert naive[name].grad == pytest.approx(real[name].grad)


@pytest.mark.parametrize("example", EXAMPLES, ids=["squared_sum", "exp_used_twice"])
def test_backward_twice_gives_the_same_grads(example) -> None:
    g = topo_order.run(example)
    assert g.adjoint_twice == g.real
    v = example.build()
    v[example.root].backward()
    first = {name: node.grad for name, node in v.items()}
    v[example.root].backward()
    assert {name: node.grad for name, node in v.items()} == first


@pytest.mark.parametrize("example", EXAMPLES, ids=["squared_sum", "exp_used_twice"])
def test_micrograd_emulation_accumulates(example) -> None:
    g = topo_order.run(example)
    assert g.micrograd_once == pytest.approx(g.real)  # one call on zeroed grads is right
    assert g.micrograd_new_graph == pytest.approx(2 * g.real)  # a second graph doubles
    assert g.micrograd_twice > 2 * g.real  # the same graph twice: more than double


def test_micrograd_emulation_matches_micrograd() -> None:
    engine = pytest.importorskip("micrograd.engine")  # installed by `make bench`; has no exp
    g = topo_order.run(SQUARED_SUM)

    def squared_sum(a):
        b = a + a
        return b, b * b

    a = engine.Value(SQUARED_SUM.at)
    b, c = squared_sum(a)
    c.backward()
    assert a.grad == g.micrograd_once
    c.backward()
    assert (a.grad, b.grad) == (g.micrograd_twice, g.micrograd_twice_shared)

    a = engine.Value(SQUARED_SUM.at)
    squared_sum(a)[1].backward()
    squared_sum(a)[1].backward()  # a second graph over the same a
    assert a.grad == g.micrograd_new_graph


def row(text: str, first: str) -> list[str]:
    """The cells of the table row starting with `first` in one example's section."""
    (line,) = (ln for ln in text.splitlines() if ln.split()[:1] == [first])
    return line.split()


def test_the_report_prints_the_derived_numbers() -> None:
    text = topo_order.report()
    section_a, section_b = text.split("\n(a) ")[1].split("\n(b) ")
    x = expected_exp_used_twice(EXP_USED_TWICE.at)

    # (a) at a = 3, from expected_squared_sum: real 8a = 24, naive 12a = 36, b pushed 2a = 6
    # first, micrograd twice 24a = 72 with b.grad 8a = 24, over a second graph 16a = 48.
    assert row(section_a, "a") == ["a", "36", "24", "+12", "1.5×"]
    assert "b pushed its grad on at 6, before all its consumers had reported" in section_a
    assert "pushed its whole adjoint, 12, again: a got 12 too much" in section_a
    assert row(section_a, "adjoint") == ["adjoint", "(sets", "grads)", "24", "24"]
    assert row(section_a, "micrograd")[-3:] == ["24", "72", "(3×)"]
    assert "b.grad becomes 24" in section_a
    assert "a.grad exactly doubles: 48." in section_a

    fmt = "{:.6g}".format
    naive, real = x["naive"], x["real"]
    assert row(section_b, "v1") == [
        "v1",
        fmt(naive),
        fmt(real),
        f"{naive - real:+.6g}",
        f"{naive / real:.4g}×",
    ]
    first, full = x["shared_pushes"]
    assert f"v2 pushed its grad on at {fmt(first)}," in section_b
    assert f"its whole adjoint, {fmt(full)}, again: v1 got {fmt(naive - real)} too much" in (
        section_b.replace("\n", " ")
    )
    assert row(section_b, "adjoint")[-2:] == [fmt(real), fmt(real)]
    assert row(section_b, "micrograd")[-2:] == [
        fmt(x["micrograd_twice"]),
        f"({x['micrograd_twice'] / real:.4g}×)",
    ]
    assert f"v2.grad becomes {fmt(x['micrograd_twice_shared'])}," in section_b
    assert f"v1.grad exactly doubles: {fmt(x['micrograd_new_graph'])}." in section_b


def test_main_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    topo_order.main()
    assert capsys.readouterr().out == topo_order.report() + "\n"
