"""Fabric.js drawings from streamlit-drawable-canvas, parsed into polygons and rasterised.

The component (0.13, fabric.js 7) reports its drawing as ``json_data``: a dict whose
``"objects"`` are fabric objects in *display* pixels, ``(x, y)`` with x to the right.
:func:`rasterize` turns them into a ``numpy.bool_`` mask of a plane, ``(row, col)`` at
the plane's native resolution:

1. each object's own geometry (a path, the end points of a line, a rectangle, ...) is
   built around its centre and moved by fabric's full object transform: position
   from ``left``/``top`` and ``originX``/``originY``, then ``angle``, ``scaleX``/``scaleY``,
   ``flipX``/``flipY`` and ``skewX``/``skewY``, as ``fabric.Object.calcOwnMatrix`` does;
2. display ``(x, y)`` goes to image ``(row, col)`` through
   :meth:`~overlay_core.render.geometry.ViewGeometry.display_to_image` (scale and zoom region);
3. image ``(row, col)`` goes to plane ``(row, col)`` through
   :func:`~overlay_core.planes.placement.origin_offset`, the only place the 1-based Overlay
   Origin is converted;
4. everything is scan-converted as polygons (:mod:`overlay_core.edit.raster`) straight into a
   bool array: a pixel is set when its centre lies in the shape (nonzero winding, as fabric fills), so no
   anti-aliasing can reach the bits. (Pillow's ``ImageDraw.polygon`` is not used: it
   rounds vertices to whole pixels, which shifts sub-pixel strokes on a downscaled view.)

Strokes keep their width in image pixels (the display width divided by the view scale,
never thinner than one plane pixel), with fabric's caps (butt, round, square) and joins
(round, bevel, miter up to the miter limit).
Parts outside the plane are clipped; a drawing with nothing on the plane gives an empty
mask.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from overlay_core.edit import raster
from overlay_core.edit.fabric_objects import (
    AREA_TYPES,
    SUPPORTED_TYPES,
    Malformed,
    flag,
    is_transparent,
    num,
    object_matrix,
    object_shape,
)
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import FIRST_GROUP, OverlayPlane
from overlay_core.planes.placement import origin_offset
from overlay_core.render.geometry import ViewGeometry

__all__ = ["SUPPORTED_TYPES", "is_transparent", "rasterize", "rasterize_box"]

Affine = raster.Affine
Polygon = raster.Polygon

def _display_to_plane(view: ViewGeometry, plane_offset: tuple[int, int]) -> Affine:
    """Display ``(x, y)`` to plane ``(x = col, y = row)``, pixel ``c`` covering ``[c, c + 1)``."""
    r0, c0 = view.display_to_image(0.0, 0.0)
    r1, _ = view.display_to_image(0.0, 1.0)
    _, c1 = view.display_to_image(1.0, 0.0)
    row_off, col_off = plane_offset
    return raster.affine(c1 - c0, 0.0, 0.0, r1 - r0, c0 - col_off, r0 - row_off)


def _draw_object(
    kind: str, obj: Mapping[str, Any], to_plane: Affine, fill: bool | None,
    default_origin: str, rows: int, cols: int,
) -> tuple[tuple[int, int], NDArray[np.bool_]] | None:
    own_fill = kind != "line" and not is_transparent(obj.get("fill"))
    filled = own_fill if fill is None else (fill and (kind in AREA_TYPES or own_fill))
    shape = object_shape(kind, obj, filled)
    # A filled shape covers exactly the region dragged (or clicked) out, whatever the brush
    # width: fabric puts the stroke's outer edge at the pointer, so the shape is placed as
    # if it had no stroke, and the stroke is not drawn.
    as_dragged = filled and kind in AREA_TYPES
    placement = object_matrix(obj, shape.width, shape.height, default_origin, 0.0 if as_dragged else None)
    local_to_plane = raster.compose(placement, to_plane)
    det = abs(float(np.linalg.det(local_to_plane[:, :2])))
    if det == 0:
        return None
    pixel = math.sqrt(det)  # plane pixels per local unit (geometric mean)
    stroke_width = num(obj, "strokeWidth", 1.0)
    has_stroke = stroke_width > 0 and not is_transparent(obj.get("stroke")) and not as_dragged
    if kind == "line" and not has_stroke:
        return None
    # half the stroke width in local units, along the local x and y axes: fabric scales
    # the stroke with the object unless strokeUniform keeps it in display pixels
    hx = hy = stroke_width / 2
    if flag(obj, "strokeUniform"):
        sx, sy = abs(num(obj, "scaleX", 1.0)), abs(num(obj, "scaleY", 1.0))
        hx, hy = (hx / sx if sx else hx), (hy / sy if sy else hy)
    # never thinner than one plane pixel
    hx = max(hx, 0.5 / float(np.hypot(*local_to_plane[:, 0])))
    hy = max(hy, 0.5 / float(np.hypot(*local_to_plane[:, 1])))
    half = max(math.sqrt(hx * hy), 0.5 / pixel)

    # layers painted in order: (local polygons, value, union); the polygons of a layer
    # are filled together with the nonzero rule; a union layer's are first oriented
    # alike, so that the stroke's pieces (segments, joins, caps) make their union
    polygons: list[tuple[list[Polygon], bool, bool]] = []
    if shape.round_shape:
        rx, ry = shape.width / 2, shape.height / 2
        outer = (rx + hx, ry + hy) if has_stroke else (rx, ry)
        n = int(min(4096, max(32, 2 * math.pi * max(outer) * pixel)))
        if filled or has_stroke:
            polygons.append(([raster.ellipse(0.0, 0.0, *outer, n)], True, False))
        if has_stroke and not filled and rx > hx and ry > hy:
            polygons.append(([raster.ellipse(0.0, 0.0, rx - hx, ry - hy, n)], False, False))
    else:
        for area in shape.fill:
            if len(area) >= 3:
                polygons.append(([area], True, False))
        if has_stroke:
            if kind in ("rect", "labeledrect"):  # mitred corners: outer box minus inner box
                w, h = shape.width / 2, shape.height / 2
                polygons.append(([raster.box(w + hx, h + hy)], True, False))
                if not filled and w > hx and h > hy:
                    polygons.append(([raster.box(w - hx, h - hy)], False, False))
            else:
                cap = str(obj.get("strokeLineCap") or "butt")
                join = str(obj.get("strokeLineJoin") or "miter")
                limit = num(obj, "strokeMiterLimit", 4.0)
                n_disc = int(min(256, max(12, 2 * math.pi * half * pixel)))
                pieces = raster.stroke_polygons(shape.lines, half, cap, join, limit, n_disc)
                polygons.append((pieces, True, True))
    if not polygons:
        return None

    placed = []
    for layer, value, union in polygons:
        moved = raster.apply_all(local_to_plane, layer)
        placed.append((raster.oriented_all(moved) if union else moved, value))
    everything = np.vstack([p for layer, _ in placed for p in layer])
    lo = np.floor(everything.min(axis=0)).astype(int) - 1
    hi = np.ceil(everything.max(axis=0)).astype(int) + 1
    x0, y0 = max(int(lo[0]), 0), max(int(lo[1]), 0)
    x1, y1 = min(int(hi[0]), cols), min(int(hi[1]), rows)
    if x0 >= x1 or y0 >= y1:
        return None
    out = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for layer, value in placed:
        inside = raster.fill_polygons([poly - (x0, y0) for poly in layer], y1 - y0, x1 - x0)
        if value:
            out |= inside
        else:
            out &= ~inside
    return (y0, x0), out


def rasterize(
    json_data: Mapping[str, Any] | None,
    view: ViewGeometry,
    plane: OverlayPlane | None = None,
    *,
    fill: bool | None = None,
) -> NDArray[np.bool_]:
    r"""Rasterise the canvas' ``json_data`` into a plane's bits at native resolution.

    Parameters
    ----------
    json_data : dict or None
        ``st_canvas(...).json_data``: ``{"objects": [...], ...}`` in display pixels.
        ``None`` or no objects give an empty mask.
    view : ViewGeometry
        How the canvas shows the image: its size is the canvas size, its region the
        zoomed part (see :func:`overlay_core.render.geometry.fit_view`).
    plane : OverlayPlane, optional
        Gives the mask's size (Overlay Rows and Columns) and where it lies on the image
        (Overlay Origin). By default the mask covers the image, origin ``1\1``.
    fill : bool or None
        ``None`` (the default) follows each object's own ``fill``: a shape is filled
        unless its fill colour is transparent (``None``, ``"transparent"``, zero alpha).
        ``True`` fills every shape with an inside (rectangle, circle, ellipse, triangle,
        polygon); ``False`` draws outlines only. Lines and brush strokes are strokes.

    Returns
    -------
    numpy.ndarray
        ``numpy.bool_``, shape ``(plane rows, plane columns)``, indexed ``(row, col)``.

    Raises
    ------
    InvalidArgumentError
        If ``json_data`` or one of its objects is malformed or of a type that cannot be
        drawn (text, images, groups); the message names the object.

    Examples
    --------
    A 2-pixel-wide vertical line on a 4 x 4 image shown at twice its size:

    >>> from overlay_core.render.geometry import fit_view
    >>> line = {"type": "Line", "left": 4, "top": 4, "originX": "center", "originY": "center",
    ...         "x1": 0, "y1": -4, "x2": 0, "y2": 4, "stroke": "black", "strokeWidth": 4}
    >>> rasterize({"objects": [line]}, fit_view(4, 4, width=8)).astype(int).tolist()
    [[0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0]]
    """
    if plane is None:
        plane = OverlayPlane(FIRST_GROUP, view.image_rows, view.image_cols, origin=(1, 1))
    mask = np.zeros((plane.rows, plane.columns), dtype=bool)
    for (r0, c0), bits in _drawn(json_data, view, plane, fill):
        mask[r0:r0 + bits.shape[0], c0:c0 + bits.shape[1]] |= bits
    return mask


def rasterize_box(
    json_data: Mapping[str, Any] | None, view: ViewGeometry, plane: OverlayPlane, *, fill: bool | None = None,
) -> tuple[tuple[int, int], NDArray[np.bool_]] | None:
    """Rasterise as :func:`rasterize` does, but return only the box around what is drawn.

    Returns ``((row0, col0), bits)``: the box's first plane row and column (0-based) and
    its bits, which equal ``rasterize(...)[row0:row0 + h, col0:col0 + w]`` (everything
    outside the box is clear); ``None`` when nothing is drawn on the plane. A stroke then
    costs its own size, not the plane's.

    >>> from overlay_core.render.geometry import fit_view
    >>> line = {"type": "Line", "left": 4, "top": 4, "originX": "center", "originY": "center",
    ...         "x1": 0, "y1": -4, "x2": 0, "y2": 4, "stroke": "black", "strokeWidth": 4}
    >>> corner, bits = rasterize_box({"objects": [line]}, fit_view(4, 4, width=8), OverlayPlane(0x6000, 4, 4))
    >>> corner, int(bits.sum()), int(rasterize({"objects": [line]}, fit_view(4, 4, width=8)).sum())
    ((0, 0), 8, 8)
    """
    pieces = list(_drawn(json_data, view, plane, fill))
    if not pieces:
        return None
    top = min(r0 for (r0, _), _ in pieces)
    left = min(c0 for (_, c0), _ in pieces)
    bottom = max(r0 + b.shape[0] for (r0, _), b in pieces)
    right = max(c0 + b.shape[1] for (_, c0), b in pieces)
    out = np.zeros((bottom - top, right - left), dtype=bool)
    for (r0, c0), bits in pieces:
        out[r0 - top:r0 - top + bits.shape[0], c0 - left:c0 - left + bits.shape[1]] |= bits
    return (top, left), out


def _drawn(json_data: Mapping[str, Any] | None, view: ViewGeometry, plane: OverlayPlane, fill: bool | None
           ) -> Iterator[tuple[tuple[int, int], NDArray[np.bool_]]]:
    """Yield each drawn object's box on the plane, ``((row0, col0), bits)``, in drawing order."""
    if json_data is None:
        return
    if not isinstance(json_data, Mapping):
        raise InvalidArgumentError(
            f"The canvas drawing must be a dict with an \"objects\" list, not {type(json_data).__name__}."
        )
    objects = json_data.get("objects", [])
    if objects is None:
        return
    if not isinstance(objects, Sequence) or isinstance(objects, str):
        raise InvalidArgumentError('The canvas drawing\'s "objects" must be a list.')
    to_plane = _display_to_plane(view, origin_offset(plane.origin))
    for index, obj in enumerate(objects, start=1):
        if not isinstance(obj, Mapping):
            raise InvalidArgumentError(f"Canvas object {index} is {obj!r}, not a fabric object.")
        kind = str(obj.get("type", "")).lower().replace("-", "").replace("_", "")
        if kind not in SUPPORTED_TYPES:
            raise InvalidArgumentError(
                f'Canvas object {index} is of type "{obj.get("type")}", which cannot be drawn into an '
                "overlay plane (use the brush, line, rectangle, circle, polygon or point tools)."
            )
        if obj.get("visible", True) is False or obj.get("opacity", 1) == 0:
            continue
        version = str(obj.get("version", json_data.get("version", "7")))
        default_origin = "center" if version[:1].isdigit() and int(version.split(".")[0]) >= 7 else "left"
        try:
            drawn = _draw_object(kind, obj, to_plane, fill, default_origin, plane.rows, plane.columns)
        except Malformed as exc:
            raise InvalidArgumentError(
                f"Canvas object {index} ({obj.get('type')}) is malformed: {exc}."
            ) from None
        if drawn is not None:
            yield drawn
