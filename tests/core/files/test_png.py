"""The fast PNG writer reads back bit for bit with Pillow, in every mode it writes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from overlay_core.files.png import png_bytes


@pytest.mark.parametrize(("shape", "mode"), [((37, 53), "L"), ((37, 53, 3), "RGB"), ((1, 1, 4), "RGBA")])
def test_png_reads_back_exactly(shape: tuple[int, ...], mode: str) -> None:
    pixels = np.random.default_rng(5).integers(0, 256, shape, dtype=np.uint8)
    for level in (0, 1, 9):
        image = Image.open(io.BytesIO(png_bytes(pixels, level)))
        assert image.mode == mode
        assert np.array_equal(np.asarray(image), pixels)


@pytest.mark.parametrize("bad", [np.zeros((2, 2), np.uint16), np.zeros((2, 2, 2), np.uint8),
                                 np.zeros((0, 3), np.uint8)])
def test_other_arrays_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="Cannot encode"):
        png_bytes(bad)
