"""The editor's layers (studio/editor/layers.py): after a stroke only the changed band of the
pooled plane layer is pooled again, and the result equals pooling the whole plane."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from overlay_core.planes.writing import set_plane
from overlay_core.render.compose import render
from overlay_core.render.geometry import Region, fit_view
from overlay_core.render.styles import default_style
from studio import state
from studio.editor import layers
from tests.builders import add_plane, image_dataset, to_file_bytes


def session(rows: int, cols: int, plane_shape: tuple[int, int], origin: tuple[int, int],
            frames: int = 1) -> tuple[dict[str, Any], Any]:
    ds = image_dataset(rows, cols)
    add_plane(ds, 0x6000, np.zeros((frames, *plane_shape), bool), origin=origin)
    held: dict[str, Any] = {}
    state.init(held, sample=False)
    return held, state.add_file(held, "f.dcm", to_file_bytes(ds))


@pytest.mark.parametrize(("rows", "cols", "plane_shape", "origin", "region", "width"), [
    (300, 200, (300, 200), (1, 1), None, 70),  # shrunk, uneven
    (300, 200, (120, 90), (41, 31), None, 100),  # shrunk by two, a small plane inside
    (64, 48, (64, 48), (1, 1), Region(10, 5, 30, 20), 97),  # zoomed in: enlarged
    (128, 128, (200, 60), (-20, 50), Region(0, 0, 128, 128), 128),  # one to one, plane past the edge
])
def test_a_band_update_equals_pooling_the_whole_plane(rows: int, cols: int, plane_shape: tuple[int, int],
                                                     origin: tuple[int, int], region: Region | None,
                                                     width: int) -> None:
    held, entry = session(rows, cols, plane_shape, origin)
    view = fit_view(rows, cols, region=region, width=width)
    style = default_style(entry.planes()[0])
    rng = np.random.default_rng(7)
    bits = np.zeros(plane_shape, bool)
    for _ in range(6):
        r, c = rng.integers(0, plane_shape[0]), rng.integers(0, plane_shape[1])
        bits[r:r + rng.integers(1, 9), c:c + rng.integers(1, 40)] ^= True  # a stroke, or an erase
        set_plane(entry.dataset, 0x6000, bits[None])
        shown = layers.background(entry, 0, view, [style], held)
        expected = render(entry.dataset, region=view.region, width=width, styles=[style]).png()
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(shown.png))),
                              np.asarray(Image.open(io.BytesIO(expected))))
    # only the first stroke unpacked the whole frame; the others pooled their band again
    [unpacked] = [v for k, v in held[layers.MEMO].items() if k[0] == "bits"]
    assert unpacked[0] != layers._digest(entry.dataset, 0x6000, held[layers.MEMO])
