"""Raster geometry: polygons, strokes and curves, scan-converted into boolean masks.

Generic and independent of fabric.js: points are ``(x, y)`` with x to the right; a mask
pixel ``(r, c)`` (row, col from the top-left) covers ``[c, c + 1) x [r, r + 1)`` and is set
when its centre lies inside a shape, so no anti-aliasing reaches the bits.
:mod:`overlay_core.edit.fabric` builds a drawing's polygons with these functions.

Examples
--------
A 2-pixel-wide horizontal stroke, scan-converted:

>>> pieces = stroke_polygons([(np.array([[0.0, 2.0], [4.0, 2.0]]), False)], 1.0, "butt", "miter", 4.0, 12)
>>> fill_polygons(pieces, 4, 4).astype(int).tolist()
[[0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]]
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Affine",
    "Polygon",
    "affine",
    "apply",
    "bezier",
    "box",
    "compose",
    "ellipse",
    "fill_polygons",
    "flatten_path",
    "join_polygons",
    "oriented",
    "segment_quad",
    "stroke_polygons",
]

Affine = NDArray[np.float64]  # 2 x 3: [[a, c, e], [b, d, f]] maps (x, y) to (ax + cy + e, bx + dy + f)
Polygon = NDArray[np.float64]  # (n, 2) of (x, y)


def affine(a: float, b: float, c: float, d: float, e: float = 0.0, f: float = 0.0) -> Affine:
    """Return the 2 x 3 affine map ``(x, y) -> (ax + cy + e, bx + dy + f)``.

    >>> apply(affine(2, 0, 0, 1, 1, 0), np.array([[1.0, 1.0]])).tolist()
    [[3.0, 1.0]]
    """
    return np.array([[a, c, e], [b, d, f]], dtype=float)


def compose(first: Affine, then: Affine) -> Affine:
    """Return the affine map that applies ``first`` and then ``then``."""
    m1 = np.vstack([first, [0.0, 0.0, 1.0]])
    m2 = np.vstack([then, [0.0, 0.0, 1.0]])
    return np.asarray((m2 @ m1)[:2], dtype=float)


def apply(m: Affine, pts: Polygon) -> Polygon:
    """Apply an affine map to ``(n, 2)`` points."""
    return np.asarray(pts @ m[:, :2].T + m[:, 2], dtype=float)


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int) -> Polygon:
    """Return ``n`` points on the ellipse centred at ``(cx, cy)`` with radii ``rx``, ``ry``.

    >>> fill_polygons([ellipse(1.5, 1.5, 1.5, 1.5, 64)], 3, 3).astype(int).tolist()
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    """
    t = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def box(half_width: float, half_height: float) -> Polygon:
    """Return the rectangle centred at the origin with the given half sizes.

    >>> fill_polygons([box(1, 1) + 1], 3, 3).astype(int).tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    """
    return np.array([[-half_width, -half_height], [half_width, -half_height],
                     [half_width, half_height], [-half_width, half_height]])


def segment_quad(
    p: NDArray[np.float64], q: NDArray[np.float64], half: float, extend: tuple[float, float]
) -> Polygon | None:
    """Return the rectangle of half-width ``half`` around segment ``p``-``q``.

    Its ends are pushed out by ``extend`` (square caps).
    """
    d = q - p
    length = float(np.hypot(*d))
    if length == 0:
        return None
    u = d / length
    n = np.array([-u[1], u[0]]) * half
    p, q = p - u * extend[0], q + u * extend[1]
    return np.array([p + n, q + n, q - n, p - n])


def bezier(p0: NDArray[np.float64], controls: list[NDArray[np.float64]], n: int) -> Polygon:
    """Return ``n`` points along a quadratic (two controls) or cubic (three) Bézier curve, ``p0`` excluded.

    >>> bezier(np.array([0.0, 0.0]), [np.array([1.0, 2.0]), np.array([2.0, 0.0])], 2).tolist()
    [[1.0, 1.0], [2.0, 0.0]]
    """
    t = np.linspace(0.0, 1.0, n + 1)[1:, None]
    if len(controls) == 2:  # quadratic
        c, p2 = controls
        return np.asarray((1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t**2 * p2, dtype=float)
    c1, c2, p3 = controls
    return np.asarray(
        (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * c1 + 3 * (1 - t) * t**2 * c2 + t**3 * p3, dtype=float
    )


def join_polygons(
    before: NDArray[np.float64], at: NDArray[np.float64], after: NDArray[np.float64],
    half: float, join: str, miter_limit: float,
) -> list[Polygon]:
    """Return the polygons that fill a mitred or bevelled join on both sides of ``at``."""
    d1, d2 = at - before, after - at
    l1, l2 = float(np.hypot(*d1)), float(np.hypot(*d2))
    if l1 == 0 or l2 == 0:
        return []
    n1 = np.array([-d1[1], d1[0]]) / l1
    n2 = np.array([-d2[1], d2[0]]) / l2
    out = []
    cos = float(n1 @ n2)
    for sign in (1.0, -1.0):
        a, b = at + sign * half * n1, at + sign * half * n2
        # the miter's length over the stroke width is 1 / sin(theta / 2) = sqrt(2 / (1 - cos))
        if join == "miter" and cos > -1 and (cos >= 1 or math.sqrt(2 / (1 - cos)) <= miter_limit):
            tip = at + sign * half * (n1 + n2) / (1 + cos)
            out.append(np.array([at, a, tip, b]))
        else:
            out.append(np.array([at, a, b]))
    return out


def stroke_polygons(
    lines: list[tuple[Polygon, bool]], half: float, cap: str, join: str, miter_limit: float, n_disc: int
) -> list[Polygon]:
    """Return polygons covering the strokes of ``lines``.

    One rectangle per segment, the joins (``round``, ``miter`` within the miter limit,
    else ``bevel``) and the caps (``butt``, ``round`` or ``square``) of open lines.
    """
    out: list[Polygon] = []
    for pts, closed in lines:
        seq = np.vstack([pts, pts[:1]]) if closed and len(pts) > 1 else pts
        square = half if cap == "square" and not closed else 0.0
        last = len(seq) - 2
        for i in range(len(seq) - 1):
            ends = (square if i == 0 else 0.0, square if i == last else 0.0)
            quad = segment_quad(seq[i], seq[i + 1], half, ends)
            if quad is not None:
                out.append(quad)
        # joins: (previous point, joint, next point)
        triples = [(seq[i - 1], seq[i], seq[i + 1]) for i in range(1, len(seq) - 1)]
        if closed and len(seq) > 2:
            triples.append((seq[-2], seq[0], seq[1]))
        discs: list[NDArray[np.float64]] = []
        if join == "round":
            discs.extend(t[1] for t in triples)
        else:
            for before, at, after in triples:
                out.extend(join_polygons(before, at, after, half, join, miter_limit))
        if not closed and (cap == "round" or (cap == "square" and len(seq) == 1)):
            discs.extend([seq[0], seq[-1]])
        if discs:  # one circle, moved to each point (as ellipse() gives it, without a linspace each)
            t = np.linspace(0.0, 2 * math.pi, n_disc, endpoint=False)
            rim = np.column_stack([half * np.cos(t), half * np.sin(t)])
            out.extend(np.column_stack([float(p[0]) + rim[:, 0], float(p[1]) + rim[:, 1]]) for p in discs)
    return out


def _next_index(sizes: list[int]) -> NDArray[np.intp]:
    """Return, for the vertices of polygons stacked in one array, the index of each one's successor.

    The last vertex of a polygon is followed by its first (one gather instead of a
    ``numpy.roll`` per polygon: a brush stroke is hundreds of small polygons).

    >>> _next_index([3, 2]).tolist()
    [1, 2, 0, 4, 3]
    """
    ends = np.cumsum(sizes)
    nxt = np.arange(1, int(ends[-1]) + 1) if len(ends) else np.zeros(0, np.intp)
    nxt[ends - 1] = ends - np.asarray(sizes)
    return nxt


def apply_all(m: Affine, polys: list[Polygon]) -> list[Polygon]:
    """Apply an affine map to every polygon at once (as :func:`apply` to each)."""
    if not polys:
        return []
    moved = apply(m, np.vstack(polys))
    return np.split(moved, np.cumsum([len(p) for p in polys])[:-1])


def oriented_all(polys: list[Polygon]) -> list[Polygon]:
    """Return every polygon as :func:`oriented` returns it, the signed areas computed at once.

    >>> [p.tolist() for p in oriented_all([np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])])]
    [[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]
    """
    sizes = [len(p) for p in polys]
    if not polys or min(sizes) == 0:
        return [oriented(p) for p in polys]
    pts = np.vstack(polys)
    nxt = _next_index(sizes)
    cross = pts[:, 0] * pts[nxt, 1] - pts[:, 1] * pts[nxt, 0]
    area = np.add.reduceat(cross, np.cumsum(sizes) - np.asarray(sizes))
    return [p[::-1].copy() if a < 0 else p for p, a in zip(polys, area, strict=True)]


def oriented(poly: Polygon) -> Polygon:
    """Return the polygon with a non-negative signed area (its vertices reversed if needed).

    >>> oriented(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])).tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    """
    x, y = poly[:, 0], poly[:, 1]
    area = float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return poly[::-1].copy() if area < 0 else poly


def _ceil(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """``ceil`` of values rounded to 1e-9 first: an edge on a pixel centre is on it, whatever rounding error.

    The same shape reaches :func:`fill_polygons` through different sums (placed on the image
    or on a plane at another origin), which can put an edge on a centre a hair either side;
    without the rounding, the image and the plane would disagree on that pixel.

    >>> _ceil(np.array([1.0000000000002, 0.9999999999998, 1.2])).tolist()
    [1.0, 1.0, 2.0]
    """
    return np.ceil(np.round(a, 9))


def fill_polygons(polys: list[Polygon], rows: int, cols: int) -> NDArray[np.bool_]:
    """Scan-convert polygons (nonzero winding, like fabric) onto a ``rows x cols`` grid.

    The polygons' edges are taken together, so polygons of the same orientation give
    their union in one pass.

    Pixel ``(r, c)`` covers ``[c, c + 1) x [r, r + 1)`` and is set when its centre
    ``(c + 0.5, r + 0.5)`` lies inside, left and top edges included: exact, where
    Pillow's ``ImageDraw.polygon`` rounds the vertices to whole pixels first.

    >>> fill_polygons([np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])], 3, 3).astype(int).tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    """
    out = np.zeros((rows, cols), dtype=bool)
    polys = [p for p in polys if len(p) >= 3]
    if not polys or rows < 1 or cols < 1:
        return out
    p0 = np.vstack(polys)
    p1 = p0[_next_index([len(p) for p in polys])]  # each vertex's successor: the polygon's edges
    keep = p0[:, 1] != p1[:, 1]
    p0, p1 = p0[keep], p1[keep]
    if not len(p0):
        return out
    direction = np.where(p1[:, 1] > p0[:, 1], 1, -1)
    y_lo, y_hi = np.minimum(p0[:, 1], p1[:, 1]), np.maximum(p0[:, 1], p1[:, 1])
    # rows whose centre y = r + 0.5 lies in [y_lo, y_hi), clipped to the grid
    first = np.clip(_ceil(y_lo - 0.5), 0, rows).astype(np.int64)
    stop = np.clip(_ceil(y_hi - 0.5), 0, rows).astype(np.int64)
    counts = np.maximum(stop - first, 0)
    if not counts.sum():
        return out
    edge = np.repeat(np.arange(len(p0)), counts)
    row = first[edge] + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    yc = row + 0.5
    t = (yc - p0[edge, 1]) / (p1[edge, 1] - p0[edge, 1])
    x = p0[edge, 0] + t * (p1[edge, 0] - p0[edge, 0])
    order = np.lexsort((x, row))
    row, x, winding = row[order], x[order], np.cumsum(direction[edge][order])
    # each row's crossings sum to zero, so a non-zero running sum marks an inside span
    inside = np.flatnonzero(winding[:-1] != 0)
    if not len(inside):
        return out
    span_row = row[inside]
    start = np.clip(_ceil(x[inside] - 0.5), 0, cols).astype(np.int64)
    end = np.clip(_ceil(x[inside + 1] - 0.5), 0, cols).astype(np.int64)
    good = end > start
    diff = np.zeros((rows, cols + 1), dtype=np.int32)
    np.add.at(diff, (span_row[good], start[good]), 1)
    np.add.at(diff, (span_row[good], end[good]), -1)
    return np.cumsum(diff[:, :cols], axis=1) > 0


def flatten_path(commands: list[tuple[str, list[float]]]) -> tuple[list[tuple[Polygon, bool]], Polygon]:
    """Flatten absolute SVG path commands (M, L, H, V, Q, C, Z) into sub-paths and bound points.

    Returns ``(subpaths, bounds)``: each sub-path is ``(points, closed)``; the bound points
    follow ``fabric.Path._calcBoundsFromPath``, which bounds a ``Q`` as a cubic whose two
    control points are both the quadratic's control point. No sub-path: no commands drew.

    >>> paths, bounds = flatten_path([("M", [0, 0]), ("H", [2]), ("V", [1]), ("Z", [])])
    >>> [(p.tolist(), closed) for p, closed in paths], bounds.shape
    ([([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0]], True)], (6, 2))
    """
    subpaths: list[tuple[Polygon, bool]] = []
    bounds: list[Polygon] = []
    current: list[NDArray[np.float64]] = []
    pos = np.zeros(2)
    start = np.zeros(2)
    closed = False

    def finish() -> None:
        if current:
            subpaths.append((np.array(current, dtype=float), closed))

    for letter, nums in commands:
        if letter == "M":
            finish()
            pos = np.array(nums)
            start = pos
            current, closed = [pos], False
            continue
        if not current:
            current, closed = [pos], False
        if letter in "LHV":
            target = np.array(
                nums if letter == "L" else [nums[0], pos[1]] if letter == "H" else [pos[0], nums[0]]
            )
            bounds.append(np.array([pos, target]))
            current.append(target)
            pos = target
        elif letter == "Q":
            c, end = np.array(nums[:2]), np.array(nums[2:])
            bounds.append(np.vstack([pos[None], bezier(pos, [c, c, end], 64)]))
            current.extend(bezier(pos, [c, end], 32))
            pos = end
        elif letter == "C":
            c1, c2, end = np.array(nums[:2]), np.array(nums[2:4]), np.array(nums[4:])
            bounds.append(np.vstack([pos[None], bezier(pos, [c1, c2, end], 64)]))
            current.extend(bezier(pos, [c1, c2, end], 32))
            pos = end
        else:  # Z
            closed = True
            bounds.append(np.array([pos, start]))
            finish()
            current, pos = [], start
    finish()
    if not subpaths:
        return [], np.zeros((0, 2))
    all_bounds = np.vstack(bounds) if bounds else np.vstack([sp for sp, _ in subpaths])
    return subpaths, all_bounds
