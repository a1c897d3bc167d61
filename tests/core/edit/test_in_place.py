"""A stroke written to the rows it touches stores exactly what the whole-plane path stores.

Random brush strokes, lines and shapes, drawn and erased, on planes of odd widths (rows
that do not start on a byte), at origins in, before and past the image, on several
frames, growing or kept: the file's bytes after ``apply_canvas`` with and without the
fast path are compared.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from overlay_core.edit.apply import apply_canvas
from overlay_core.edit.in_place import apply_in_place
from overlay_core.errors import InvalidArgumentError
from overlay_core.planes.reading import read_plane
from overlay_core.planes.writing import Attributes, set_plane, to_bytes
from overlay_core.render.geometry import fit_view
from tests import builders as b


def _path(rng: np.random.Generator, width: int, height: int) -> dict[str, Any]:
    points = rng.uniform([0, 0], [width, height], size=(int(rng.integers(2, 6)), 2))
    path = [["M", *points[0]]] + [["Q", *p, *p] for p in points[1:]] + [["L", *points[-1]]]
    lo = points.min(axis=0)
    return {"type": "path", "version": "4.4.0", "originX": "left", "originY": "top", "left": float(lo[0]),
            "top": float(lo[1]), "path": path, "stroke": "rgba(255, 225, 25, 0.85)", "fill": None,
            "strokeWidth": float(rng.uniform(1, 14)), "strokeLineCap": "round", "strokeLineJoin": "round",
            "pathOffset": {"x": 0, "y": 0}}


def _rect(rng: np.random.Generator, width: int, height: int) -> dict[str, Any]:
    x, y = rng.uniform(-10, width), rng.uniform(-10, height)
    return {"type": "rect", "version": "4.4.0", "originX": "left", "originY": "top", "left": float(x),
            "top": float(y), "width": float(rng.uniform(1, 40)), "height": float(rng.uniform(1, 40)),
            "stroke": "red", "strokeWidth": float(rng.uniform(0, 4)), "fill": "rgba(1, 2, 3, 0.5)"}


@pytest.mark.parametrize("seed", range(40))
def test_fast_path_stores_the_same_bytes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, cols = int(rng.integers(20, 70)), int(rng.integers(20, 70))
    frames = int(rng.integers(1, 3))
    ds = b.image_dataset(rows, cols, frames=frames)
    p_rows, p_cols = int(rng.integers(5, rows + 10)), int(rng.integers(5, cols + 10))
    origin = (int(rng.integers(-5, rows // 2)), int(rng.integers(-5, cols // 2)))
    mask = rng.random((frames, p_rows, p_cols)) < 0.3
    set_plane(ds, 0x6000, mask if frames > 1 else mask[0], Attributes(origin=origin))
    view = fit_view(rows, cols, width=int(rng.integers(30, 200)))
    shape = _path if rng.random() < 0.6 else _rect
    drawing = {"objects": [shape(rng, view.display_width, view.display_height) for _ in range(2)]}
    mode, grow = ("draw", "erase")[seed % 2], bool(seed % 3)
    frame = int(rng.integers(0, frames))
    fast, slow = copy.deepcopy(ds), copy.deepcopy(ds)
    outcomes = []
    for target, in_place in ((fast, True), (slow, False)):
        try:
            plane = apply_canvas(target, 0x6000, drawing, view, mode, frame, grow=grow, in_place=in_place)
            outcomes.append(plane)
        except InvalidArgumentError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]
    assert to_bytes(fast) == to_bytes(slow)


def test_fast_path_takes_a_stroke_inside_and_leaves_growth_to_the_whole_plane() -> None:
    ds = b.image_dataset(40, 40)
    set_plane(ds, 0x6000, np.zeros((10, 13), bool), Attributes(origin=(5, 5)))
    view = fit_view(40, 40)
    inside = {"objects": [{"type": "rect", "left": 6, "top": 6, "width": 3, "height": 3, "originX": "left",
                           "originY": "top", "fill": "red", "strokeWidth": 0}]}
    outside = {"objects": [{"type": "rect", "left": 30, "top": 30, "width": 3, "height": 3, "originX": "left",
                            "originY": "top", "fill": "red", "strokeWidth": 0}]}
    before = to_bytes(ds)
    assert apply_in_place(ds, 0x6000, outside, view, "draw", grow=True) is None
    assert to_bytes(ds) == before  # left alone: apply_canvas grows the plane
    plane = apply_in_place(ds, 0x6000, inside, view, "draw", grow=True)
    assert plane is not None and plane.set_bits == 9 and read_plane(ds, 0x6000).rows == 10
