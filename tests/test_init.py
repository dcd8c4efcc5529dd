"""vector.init: needle's formulas, distributions, dtypes, and exactly one draw per call."""

import math

import numpy as np
import pytest

import vector as ndl
from vector import init


def _state_after(calls) -> tuple:
    """numpy's global RNG state after seeding 42 and running `calls`."""
    np.random.seed(42)
    calls()
    return np.random.get_state()


def _same_state(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


# Each case: the initialiser call, and needle's formula written with one numpy draw.
CASES = {
    "rand": (
        lambda: init.rand(3, 4, low=-2.0, high=5.0),
        lambda: np.random.rand(3, 4) * 7.0 - 2.0,
    ),
    "randn": (
        lambda: init.randn(3, 4, mean=1.5, std=0.5),
        lambda: np.random.randn(3, 4) * 0.5 + 1.5,
    ),
    "randb": (lambda: init.randb(3, 4, p=0.3), lambda: np.random.rand(3, 4) <= 0.3),
    "xavier_uniform": (
        lambda: init.xavier_uniform(3, 5, gain=2.0),
        lambda: (a := 2.0 * math.sqrt(6 / 8)) and np.random.rand(3, 5) * 2 * a - a,
    ),
    "xavier_normal": (
        lambda: init.xavier_normal(3, 5, gain=2.0),
        lambda: np.random.randn(3, 5) * (2.0 * math.sqrt(2 / 8)),
    ),
    "kaiming_uniform": (
        lambda: init.kaiming_uniform(3, 5),
        lambda: (b := math.sqrt(2) * math.sqrt(3 / 3)) and np.random.rand(3, 5) * 2 * b - b,
    ),
    "kaiming_normal": (
        lambda: init.kaiming_normal(3, 5),
        lambda: np.random.randn(3, 5) * (math.sqrt(2) / math.sqrt(3)),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_one_draw_match_needles_formula(name: str) -> None:
    ours, formula = CASES[name]
    np.random.seed(42)
    got = ours()
    state = np.random.get_state()
    np.random.seed(42)
    want = formula()
    assert _same_state(state, np.random.get_state()), "must draw exactly once, like the formula"
    assert isinstance(got, ndl.Tensor)
    assert got.shape == want.shape
    expected_dtype = np.bool_ if name == "randb" else np.float32
    assert got.dtype == expected_dtype
    np.testing.assert_allclose(got.numpy(), want.astype(expected_dtype), rtol=1e-6, atol=1e-7)


def test_kaiming_uniform_uses_rand_exactly_once() -> None:
    after_init = _state_after(lambda: init.kaiming_uniform(3, 5))
    after_one_rand = _state_after(lambda: np.random.rand(3, 5))
    after_two = _state_after(lambda: (np.random.rand(3, 5), np.random.rand(1)))
    assert _same_state(after_init, after_one_rand)
    assert not _same_state(after_init, after_two)


def test_deterministic_ones_draw_nothing() -> None:
    before = _state_after(lambda: None)
    after = _state_after(
        lambda: (
            init.ones(2, 3),
            init.zeros(4),
            init.constant(2, 2, c=7.0),
            init.one_hot(3, [0, 2]),
            init.zeros_like(init.ones(2)),
            init.ones_like(init.ones(2)),
        )
    )
    assert _same_state(before, after)


@pytest.mark.parametrize(
    ("make", "mean", "std", "bound"),
    [
        (lambda: init.rand(400, 500, low=-1.0, high=3.0), 1.0, 4 / math.sqrt(12), (-1.0, 3.0)),
        (lambda: init.randn(400, 500, mean=2.0, std=3.0), 2.0, 3.0, None),
        (
            lambda: init.xavier_uniform(400, 500, gain=1.5),
            0.0,
            1.5 * math.sqrt(6 / 900) / math.sqrt(3),
            (-1.5 * math.sqrt(6 / 900), 1.5 * math.sqrt(6 / 900)),
        ),
        (lambda: init.xavier_normal(400, 500), 0.0, math.sqrt(2 / 900), None),
        (
            lambda: init.kaiming_uniform(400, 500),
            0.0,
            math.sqrt(2) * math.sqrt(3 / 400) / math.sqrt(3),
            (-math.sqrt(2) * math.sqrt(3 / 400), math.sqrt(2) * math.sqrt(3 / 400)),
        ),
        (lambda: init.kaiming_normal(400, 500), 0.0, math.sqrt(2) / math.sqrt(400), None),
    ],
    ids=["rand", "randn", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"],
)
def test_distribution_of_a_large_draw(make, mean: float, std: float, bound) -> None:
    np.random.seed(0)
    a = make().numpy().astype(np.float64)
    n = a.size
    # Allow five standard errors of the sample mean, and 2% on the standard deviation.
    assert abs(a.mean() - mean) < 5 * std / math.sqrt(n)
    assert a.std() == pytest.approx(std, rel=0.02)
    if bound is not None:
        assert bound[0] <= a.min() and a.max() <= bound[1]
        assert a.min() < bound[0] + 0.01 * (bound[1] - bound[0])  # fills the whole interval
        assert a.max() > bound[1] - 0.01 * (bound[1] - bound[0])


def test_randb_probability_and_float_mask() -> None:
    np.random.seed(0)
    mask = init.randb(1000, 1000, p=0.3, dtype="float32")
    assert mask.dtype == np.float32
    values = mask.numpy()
    assert set(np.unique(values)) <= {0.0, 1.0}
    assert values.mean() == pytest.approx(0.3, abs=0.003)


def test_constants_and_likes() -> None:
    np.testing.assert_array_equal(init.constant(2, 3, c=2.5).numpy(), np.full((2, 3), 2.5))
    assert init.ones(2, 3).dtype == np.float32 and init.zeros(5).shape == (5,)
    like = init.zeros_like(ndl.Tensor(np.ones((2, 4), dtype=np.float64)))
    assert like.shape == (2, 4) and like.dtype == np.float64 and not like.numpy().any()
    ones = init.ones_like(ndl.Tensor(np.zeros(3, dtype=np.float32)), requires_grad=True)
    assert ones.requires_grad and ones.dtype == np.float32
    assert init.ones(2, dtype="float64", requires_grad=True).requires_grad
    assert not init.rand(2).requires_grad


def test_one_hot() -> None:
    got = init.one_hot(4, ndl.Tensor(np.array([3, 0, 1], dtype=np.uint8)))
    np.testing.assert_array_equal(got.numpy(), np.eye(4, dtype=np.float32)[[3, 0, 1]])
    assert got.dtype == np.float32
    assert init.one_hot(3, 2, dtype="float64").numpy().tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="label 5 is out of range for 4 classes"):
        init.one_hot(4, [1, 5])
    with pytest.raises(ValueError, match="label -1"):
        init.one_hot(4, np.array([-1, 2]))


def test_kaiming_rejects_other_nonlinearities_and_takes_a_shape() -> None:
    with pytest.raises(ValueError, match="nonlinearity='relu'"):
        init.kaiming_uniform(3, 4, nonlinearity="tanh")
    np.random.seed(1)
    kernel = init.kaiming_uniform(12, 8, shape=(2, 2, 3, 8))
    assert kernel.shape == (2, 2, 3, 8)
    assert np.abs(kernel.numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 12)
