"""What the engine takes from its callers, and the one clear error for anything else.

`Tensor(...)` takes numbers, rectangular nested lists of numbers and numeric numpy arrays
(`as_array`); the `*_scalar` ops and the operators take real numbers (`real_number`, `operand`).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def as_array(array: Any, dtype: Any) -> np.ndarray:
    """`array` as a numeric numpy array (in `dtype` when given), or a TypeError saying why not."""
    if type(array) is np.ndarray and dtype is None and array.dtype.kind in "biuf":
        return array  # the common case in a training loop: nothing to convert or check
    try:
        data = np.asarray(array, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise TypeError(
            f"Tensor: cannot make a numeric array from {short(array)} ({error}); expected "
            "numbers, a rectangular nested list of numbers, or a numpy array"
        ) from None
    if data.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: data must be real numbers, got dtype {data.dtype} from {short(array)}"
        )
    return data


def short(value: Any) -> str:
    """`repr(value)`, cut to 60 characters, for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def real_number(value: Any) -> Any:
    """`value` as a number a `*_scalar` op can take, or None if it is not one.

    Python and numpy numbers pass as they are (numpy promotes with them as numpy does). A 0-d or
    one-element numeric array becomes the Python number it holds, so that, as in needle,
    `divide_scalar(x, scalar=np.random.randn(1))` works and keeps x's dtype.
    """
    if type(value) in (int, float) or isinstance(value, numbers.Real):
        return value
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        return value.item()
    return None


def operand(op: str, value: Any) -> Any:
    """The number on the other side of a Tensor operator (`x + 1`), or a TypeError naming `op`.

    An operator takes numbers and 0-d arrays; a one-element array of shape (1,) has a shape that
    would broadcast, so it must be a Tensor there (only the *_scalar ops take it).
    """
    if type(value) in (int, float):
        return value
    number = real_number(value) if np.ndim(value) == 0 else None
    if number is None:
        raise TypeError(
            f"{op}: cannot combine a Tensor with {short(value)} ({type(value).__name__}); "
            "expected a Tensor or a real number"
        )
    return number
