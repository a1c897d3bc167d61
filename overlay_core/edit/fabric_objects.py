"""Fabric.js objects read: their numbers, flags, own geometry and full object transform.

The part of :mod:`overlay_core.edit.fabric` that knows fabric's object model (what
``calcOwnMatrix`` does, how a path or a rectangle is described); :mod:`~overlay_core.edit.fabric`
moves the result onto a plane and scan-converts it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from overlay_core.edit import raster

__all__ = [
    "AREA_TYPES", "SUPPORTED_TYPES", "Malformed", "Shape", "flag", "is_transparent", "num",
    "object_matrix", "object_shape",
]

#: Fabric object types that can be drawn into a plane (compared case-insensitively).
SUPPORTED_TYPES = (
    "path", "line", "rect", "labeledrect", "circle", "ellipse", "triangle", "polygon", "polyline",
)
AREA_TYPES = {"rect", "labeledrect", "circle", "ellipse", "triangle", "polygon"}
# fabric's resolveOrigin: a named origin as a fraction of the size, from the centre
_ORIGINS = {"left": -0.5, "top": -0.5, "center": 0.0, "right": 0.5, "bottom": 0.5}
_ALPHA = re.compile(r"^(?:rgba|hsla)\(.*[,/]\s*([0-9.]+%?)\s*\)$")

Affine = raster.Affine
Polygon = raster.Polygon


class Malformed(Exception):
    """Raised inside the parser; turned into one InvalidArgumentError sentence."""


def is_transparent(color: object) -> bool:
    """Whether a fabric ``fill`` or ``stroke`` value paints nothing.

    ``None``, ``""``, ``"transparent"``, ``"none"`` and colours with a zero alpha
    (``rgba(...)``, ``hsla(...)``, ``#rgba``, ``#rrggbbaa``) are transparent; anything
    else, gradients and patterns included, paints.

    >>> is_transparent("rgba(0, 0, 0, 0)"), is_transparent("#eee"), is_transparent(None)
    (True, False, True)
    """
    if color is None:
        return True
    if not isinstance(color, str):
        return False
    text = color.strip().lower()
    if text in ("", "transparent", "none"):
        return True
    if text.startswith("#") and len(text) in (5, 9):
        return int(text[-1 if len(text) == 5 else -2:], 16) == 0
    match = _ALPHA.match(text)
    if match:
        alpha = match.group(1)
        try:
            return float(alpha.rstrip("%")) == 0
        except ValueError:
            return False
    return False


# --- reading values --------------------------------------------------------------------


def num(obj: Mapping[str, Any], key: str, default: float | None = None) -> float:
    """Return the number ``obj[key]`` (``default`` when absent); raise :class:`Malformed` otherwise."""
    value = obj.get(key, default)
    if value is None and default is not None:
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Malformed(f'its "{key}" is {value!r}, not a number')
    if not math.isfinite(value):
        raise Malformed(f'its "{key}" is not a finite number')
    return float(value)


def flag(obj: Mapping[str, Any], key: str) -> bool:
    """Return the true/false ``obj[key]`` (false when absent); raise :class:`Malformed` otherwise."""
    value = obj.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Malformed(f'its "{key}" is {value!r}, not true or false')
    return value


def _origin(obj: Mapping[str, Any], key: str, default: str) -> float:
    value = obj.get(key, default)
    if isinstance(value, str) and value in _ORIGINS:
        return _ORIGINS[value]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value) - 0.5
    raise Malformed(f'its "{key}" is {value!r}, not left, center, right, top, bottom or a number')


def _points(value: object, key: str) -> Polygon:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise Malformed(f'its "{key}" is not a list of points')
    out = []
    for point in value:
        if not isinstance(point, Mapping):
            raise Malformed(f'its "{key}" holds {point!r}, not an {{"x", "y"}} point')
        out.append((num(point, "x"), num(point, "y")))
    return np.array(out, dtype=float)


@dataclass
class Shape:
    """An object's drawing in its own (local) coordinates, before its transform."""

    fill: list[Polygon]  # filled areas
    rings: list[tuple[Polygon, Polygon | None]]  # closed outlines: outer area minus inner area
    lines: list[tuple[Polygon, bool]]  # centre lines to stroke: (points, closed)
    width: float  # the shape's own size, for the origin
    height: float
    round_shape: bool = False  # circles and ellipses: rings are built by the caller per width


def _parse_path(value: object) -> tuple[list[tuple[Polygon, bool]], Polygon]:
    """Check a fabric path's absolute M/L/H/V/Q/C/Z commands and flatten them with raster."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise Malformed('its "path" is not a list of commands')
    commands: list[tuple[str, list[float]]] = []
    for command in value:
        if not isinstance(command, Sequence) or isinstance(command, str) or not command:
            raise Malformed(f"its path holds {command!r}, not a command")
        letter, *args = command
        nums = []
        for arg in args:
            if isinstance(arg, bool) or not isinstance(arg, (int, float)) or not math.isfinite(arg):
                raise Malformed(f"its path command {command!r} has a value that is not a number")
            nums.append(float(arg))
        arity = {"M": 2, "L": 2, "H": 1, "V": 1, "Q": 4, "C": 6, "Z": 0}.get(str(letter).upper())
        if not isinstance(letter, str) or letter != letter.upper() or arity is None:
            raise Malformed(f"its path command {letter!r} is not one of M, L, H, V, Q, C and Z")
        if len(nums) != arity:
            raise Malformed(f"its path command {letter} has {len(nums)} values, not {arity}")
        commands.append((letter, nums))
    subpaths, bounds = raster.flatten_path(commands)
    if not subpaths:
        raise Malformed("its path has no points")
    return subpaths, bounds


def _centre_bbox(pts: Polygon) -> tuple[NDArray[np.float64], float, float]:
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (lo + hi) / 2, float(hi[0] - lo[0]), float(hi[1] - lo[1])


def object_shape(kind: str, obj: Mapping[str, Any], filled: bool) -> Shape:
    """Build an object's geometry around its centre, as fabric renders it."""
    if kind in ("rect", "labeledrect"):
        w, h = num(obj, "width"), num(obj, "height")
        corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
        return Shape([corners] if filled else [], [], [(corners, True)], w, h)
    if kind in ("circle", "ellipse"):
        if kind == "circle":
            rx = ry = num(obj, "radius")
        else:
            rx, ry = num(obj, "rx"), num(obj, "ry")
        if rx < 0 or ry < 0:
            raise Malformed("its radius is negative")
        return Shape([], [], [], 2 * rx, 2 * ry, round_shape=True)
    if kind == "triangle":
        w, h = num(obj, "width"), num(obj, "height")
        corners = np.array([[-w / 2, h / 2], [0.0, -h / 2], [w / 2, h / 2]])
        return Shape([corners] if filled else [], [], [(corners, True)], w, h)
    if kind == "line":
        x1, y1, x2, y2 = (num(obj, k, 0.0) for k in ("x1", "y1", "x2", "y2"))
        # fabric 6/7 export the end points relative to the line's centre (calcLinePoints)
        ends = np.array([[x1, y1], [x2, y2]])
        return Shape([], [], [(ends, False)], abs(x2 - x1), abs(y2 - y1))
    if kind in ("polygon", "polyline"):
        pts = _points(obj.get("points"), "points")
        centre, w, h = _centre_bbox(pts)
        local = pts - centre
        closed = kind == "polygon"
        return Shape([local] if filled else [], [], [(local, closed)], w, h)
    # path
    subpaths, bound_points = _parse_path(obj.get("path"))
    centre, w, h = _centre_bbox(bound_points)
    lines = [(sp - centre, closed) for sp, closed in subpaths]
    return Shape([sp for sp, _ in lines] if filled else [], [], lines, w, h)


def object_matrix(obj: Mapping[str, Any], width: float, height: float, default_origin: str,
                   stroke: float | None = None) -> Affine:
    """``fabric.Object.calcOwnMatrix``: local (centred) coordinates to display ``(x, y)``.

    ``stroke`` overrides the object's stroke width in the placement (0: placed as if drawn
    without a stroke, so the shape's own edge is where the pointer was).
    """
    scale_x, scale_y = num(obj, "scaleX", 1.0), num(obj, "scaleY", 1.0)
    skew_x, skew_y = num(obj, "skewX", 0.0), num(obj, "skewY", 0.0)
    angle = math.radians(num(obj, "angle", 0.0))
    stroke = num(obj, "strokeWidth", 1.0) if stroke is None else stroke
    flip_x, flip_y = flag(obj, "flipX"), flag(obj, "flipY")
    uniform = flag(obj, "strokeUniform")
    ox = _origin(obj, "originX", "center" if default_origin == "center" else "left")
    oy = _origin(obj, "originY", "center" if default_origin == "center" else "top")

    # the size fabric uses to move between origins (_getTransformedDimensions)
    pre, post = (0.0, stroke) if uniform else (stroke, 0.0)
    dim_x, dim_y = width + pre, height + pre
    dims = raster.affine(scale_x, 0.0, 0.0, scale_y)
    if skew_x:
        dims = raster.compose(raster.affine(1.0, 0.0, math.tan(math.radians(skew_x)), 1.0), dims)
    if skew_y:
        dims = raster.compose(raster.affine(1.0, math.tan(math.radians(skew_y)), 0.0, 1.0), dims)
    if skew_x or skew_y:
        box = raster.apply(dims, np.array([[-dim_x / 2, -dim_y / 2], [dim_x / 2, -dim_y / 2],
                                     [dim_x / 2, dim_y / 2], [-dim_x / 2, dim_y / 2]]))
        size_x, size_y = np.ptp(box, axis=0)
    else:
        size_x, size_y = dim_x * scale_x, dim_y * scale_y
    size_x, size_y = size_x + post, size_y + post

    cos, sin = math.cos(angle), math.sin(angle)
    off_x, off_y = -ox * size_x, -oy * size_y
    centre_x = num(obj, "left", 0.0) + cos * off_x - sin * off_y
    centre_y = num(obj, "top", 0.0) + sin * off_x + cos * off_y

    linear = raster.affine(-scale_x if flip_x else scale_x, 0.0, 0.0, -scale_y if flip_y else scale_y)
    if skew_x:
        linear = raster.compose(raster.affine(1.0, 0.0, math.tan(math.radians(skew_x)), 1.0), linear)
    if skew_y:
        linear = raster.compose(raster.affine(1.0, math.tan(math.radians(skew_y)), 0.0, 1.0), linear)
    return raster.compose(linear, raster.affine(cos, sin, -sin, cos, centre_x, centre_y))


# --- drawing ---------------------------------------------------------------------------
