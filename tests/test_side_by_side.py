"""The README's side-by-side loops run, and both engines learn the moons past chance."""

from examples.moons import make_moons
from examples.side_by_side import train_scalar, train_vector


def test_both_engines_learn_the_moons() -> None:
    X, Y = make_moons(100)
    # Ten steps of each: far above the 50% of guessing, so a broken loop fails here.
    assert train_scalar(X, Y, steps=10) > 0.8
    assert train_vector(X, (Y > 0).astype(int), steps=10) > 0.8
