"""Data augmentation on single H×W×C images, as in needle's `data_transforms`.

The random draws are needle's own (`np.random.rand()` for the flip, one `np.random.randint(...,
size=2)` for the crop), from numpy's global generator, so a seeded run augments exactly as needle
would.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RandomCrop", "RandomFlipHorizontal", "Transform"]


class Transform:
    """A callable that maps one H×W×C image to another; datasets apply a list of them in order."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class RandomFlipHorizontal(Transform):
    """Mirror the image left to right with probability `p`."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: np.ndarray) -> np.ndarray:
        """Return `img` (H×W×C) mirrored along its width if `np.random.rand() < p`, else `img`."""
        flip_img = np.random.rand() < self.p
        return img[:, ::-1] if flip_img else img

    def __repr__(self) -> str:
        return f"RandomFlipHorizontal(p={self.p})"


class RandomCrop(Transform):
    """Zero-pad by `padding` pixels on each side, then cut an image of the original size at a
    random offset: the content moves by up to `padding` pixels along the height and the width."""

    def __init__(self, padding: int = 3) -> None:
        if padding < 0:
            raise ValueError(f"RandomCrop padding must be at least 0, got {padding}")
        self.padding = padding

    def __call__(self, img: np.ndarray) -> np.ndarray:
        """Return `img` (H×W×C) shifted by (shift_x, shift_y) along (height, width), zero-filled.

        Output pixel (i, j) is input pixel (i + shift_x, j + shift_y), or 0 where that falls
        outside the image; both shifts are drawn in one call from [-padding, padding].
        """
        shift_x, shift_y = np.random.randint(low=-self.padding, high=self.padding + 1, size=2)
        p = self.padding
        height, width = img.shape[:2]
        padded = np.pad(img, [(p, p), (p, p)] + [(0, 0)] * (img.ndim - 2))
        return padded[p + shift_x : p + shift_x + height, p + shift_y : p + shift_y + width]

    def __repr__(self) -> str:
        return f"RandomCrop(padding={self.padding})"
