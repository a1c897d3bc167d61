"""``overlay_core.render.compose.resize_image``: a shrink by a power of two is Pillow's BOX filter."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from overlay_core.render.compose import resize_image
from overlay_core.render.geometry import Region, fit_view


def pillow_box(pixels: np.ndarray, region: Region, size: tuple[int, int]) -> np.ndarray:
    box = (region.col0, region.row0, region.col0 + region.cols, region.row0 + region.rows)
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BOX, box=box))


@pytest.mark.parametrize("channels", [None, 3])
@pytest.mark.parametrize(("region", "width"), [
    (Region(0, 0, 256, 256), 64),     # 4 x 4, the whole image (a 4096² scan at 1024)
    (Region(0, 0, 256, 256), 32),     # 8 x 8
    (Region(16, 40, 128, 64), 32),    # 2 x 2 of a zoomed region
    (Region(0, 0, 256, 128), 32),     # 4 x 4, a tall region
    (Region(0, 0, 200, 200), 64),     # 3.125: not a power of two (Pillow itself)
    (Region(0, 0, 256, 256), 100),    # 2.56: not a power of two either
])
def test_a_shrunk_view_is_pillows_box_filter(channels: int | None, region: Region, width: int) -> None:
    rng = np.random.default_rng(7)
    shape = (256, 256) if channels is None else (256, 256, channels)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    ramp = np.arange(256, dtype=np.uint8)  # a ramp too: every rounding case of smooth data
    pixels[:64] = ramp if channels is None else ramp[:, None]
    geometry = fit_view(256, 256, region=region, width=width)
    size = (geometry.display_width, geometry.display_height)
    assert np.array_equal(resize_image(pixels, geometry), pillow_box(pixels, region, size))
