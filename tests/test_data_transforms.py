"""Augmentations: needle's random draws, and what they do to an H×W×C image."""

import numpy as np
import pytest

from vector.data import RandomCrop, RandomFlipHorizontal, Transform


def _image(height: int = 5, width: int = 7, channels: int = 2) -> np.ndarray:
    return np.arange(1, height * width * channels + 1, dtype=np.float32).reshape(
        height, width, channels
    )


def test_transform_base_is_abstract():
    with pytest.raises(NotImplementedError):
        Transform()(np.zeros((2, 2, 1)))


def test_flip_always_and_never():
    img = _image()
    np.testing.assert_array_equal(RandomFlipHorizontal(p=1.0)(img), img[:, ::-1, :])
    assert RandomFlipHorizontal(p=0.0)(img) is img


@pytest.mark.parametrize("seed", range(20))
def test_flip_decides_with_one_rand_draw(seed):
    img = _image()
    np.random.seed(seed)
    flipped = RandomFlipHorizontal(p=0.4)(img)
    after = np.random.rand()
    np.random.seed(seed)
    expect_flip = np.random.rand() < 0.4
    assert np.random.rand() == after  # exactly one draw was consumed
    np.testing.assert_array_equal(flipped, img[:, ::-1] if expect_flip else img)


@pytest.mark.parametrize("padding", [0, 1, 3])
@pytest.mark.parametrize("seed", range(10))
def test_crop_shifts_by_needles_randint(seed, padding):
    img = _image()
    np.random.seed(seed)
    out = RandomCrop(padding)(img)
    after = np.random.rand()
    np.random.seed(seed)
    shift_x, shift_y = np.random.randint(low=-padding, high=padding + 1, size=2)
    assert np.random.rand() == after  # one randint call, nothing more
    assert out.shape == img.shape
    height, width = img.shape[:2]
    for i in range(height):
        for j in range(width):
            src_i, src_j = i + shift_x, j + shift_y
            inside = 0 <= src_i < height and 0 <= src_j < width
            expected = img[src_i, src_j] if inside else np.zeros(img.shape[2])
            np.testing.assert_array_equal(out[i, j], expected)


def test_crop_without_padding_is_identity():
    img = _image()
    np.testing.assert_array_equal(RandomCrop(padding=0)(img), img)


def test_crop_covers_every_shift_in_range():
    img = np.zeros((7, 7, 1))
    img[3, 3, 0] = 1.0  # the centre pixel shows where the shift put it
    np.random.seed(0)
    seen = set()
    for _ in range(400):
        (i,), (j,) = np.nonzero(RandomCrop(padding=2)(img)[:, :, 0])
        seen.add((3 - i, 3 - j))
    assert seen == {(x, y) for x in range(-2, 3) for y in range(-2, 3)}


def test_crop_rejects_negative_padding():
    with pytest.raises(ValueError, match="padding"):
        RandomCrop(padding=-1)
