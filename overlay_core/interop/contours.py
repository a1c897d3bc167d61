r"""Masks to closed polygons and back, by the even-odd rule.

Coordinates are ``(row, col)`` in pixels, 0-based, with pixel ``(r, c)`` centred at
``(r, c)``. :func:`mask_contours` traces every boundary of a mask with scikit-image's
marching squares (:func:`skimage.measure.find_contours` at level 0.5 on the mask padded
with one empty pixel, so every contour closes): outer boundaries, holes and islands in
holes each become one closed polygon, whose vertices lie half way between pixel
centres. :func:`fill_polygons` is the even-odd reading a planning system makes of
nested RTSTRUCT contours: a pixel is set when its centre lies inside an odd number of
polygons, which is the XOR of filling each polygon on its own (what
``skimage.draw.polygon`` gives, tested). Since no pixel centre lies on a traced
polygon, filling the traced polygons gives back the mask bit for bit.

Examples
--------
>>> ring = np.ones((3, 3), bool); ring[1, 1] = False
>>> polygons = mask_contours(ring)
>>> len(polygons), bool((fill_polygons(polygons, (3, 3)) == ring).all())
(2, True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["fill_polygons", "mask_contours"]


def mask_contours(mask: NDArray[np.bool_]) -> list[NDArray[np.float64]]:
    """Return the closed polygons ``(n, 2)`` (row, col) that give back ``mask`` by even-odd filling.

    The last vertex is not repeated (a polygon closes on its first vertex). An empty
    mask has none.

    >>> [p.tolist() for p in mask_contours(np.array([[0, 0], [0, 1]], bool))]
    [[[1.5, 1.0], [1.0, 0.5], [0.5, 1.0], [1.0, 1.5]]]
    """
    from skimage.measure import find_contours

    mask = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    cols = np.flatnonzero(mask.any(axis=0))
    r0, c0 = int(rows[0]), int(cols[0])
    window = mask[r0:int(rows[-1]) + 1, c0:int(cols[-1]) + 1]  # only the part with content: faster
    padded = np.pad(window, 1).astype(np.float32)
    out = []
    for contour in find_contours(padded, 0.5):  # type: ignore[no-untyped-call]
        points = contour[:-1] if len(contour) > 1 and np.array_equal(contour[0], contour[-1]) else contour
        out.append(points.astype(np.float64) + np.array([r0 - 1, c0 - 1], dtype=np.float64))
    return out


def fill_polygons(polygons: Sequence[NDArray[np.float64]], shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Fill closed polygons ``(n, 2)`` (row, col) by the even-odd rule on a ``shape`` grid.

    A pixel is set when its centre is inside an odd number of polygons, or on an edge (a
    closed polygon includes its boundary). Parts outside the grid are clipped. Scanline
    filling, vectorised over all edges at once.

    >>> square = np.array([[-0.5, -0.5], [-0.5, 1.5], [1.5, 1.5], [1.5, -0.5]])
    >>> fill_polygons([square], (3, 3)).astype(int).tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    >>> through_centres = np.array([[0.0, 0.0], [0.0, 2.0], [2.0, 2.0], [2.0, 0.0]])
    >>> fill_polygons([through_centres], (3, 3)).astype(int).tolist()
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    """
    rows, cols = shape
    out = np.zeros(shape, dtype=bool)
    starts, ends = [], []
    for polygon in polygons:
        points = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
        if len(points) < 3:
            continue
        starts.append(points)
        ends.append(np.roll(points, -1, axis=0))
    if not starts or rows == 0 or cols == 0:
        return out
    a, b = np.concatenate(starts), np.concatenate(ends)
    y0, x0, y1, x1 = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    moving = y0 != y1
    y0, x0, y1, x1 = y0[moving], x0[moving], y1[moving], x1[moving]
    # An edge crosses the centre line of row r when min(y) <= r < max(y) (half open: a
    # vertex on the line counts once), so every row has an even number of crossings.
    first = np.maximum(np.ceil(np.minimum(y0, y1)), 0).astype(np.int64)
    last = np.minimum(np.ceil(np.maximum(y0, y1)), rows).astype(np.int64)  # exclusive
    counts = np.maximum(last - first, 0)
    if counts.sum() == 0:
        return out
    edge = np.repeat(np.arange(len(y0)), counts)
    row = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + first[edge]
    x = x0[edge] + (row - y0[edge]) * (x1[edge] - x0[edge]) / (y1[edge] - y0[edge])
    order = np.lexsort((x, row))
    row, x = row[order], x[order]
    # Crossings pair up within each row (left edge, right edge): fill [ceil(left), ceil(right)).
    left = np.clip(np.ceil(x[0::2]), 0, cols).astype(np.int64)
    right = np.clip(np.ceil(x[1::2]), 0, cols).astype(np.int64)
    line = row[0::2]
    keep = right > left
    line, left, right = line[keep], left[keep], right[keep]
    if line.size:  # only the window the spans cover: a small structure on a large image is cheap
        r0, r1 = int(line.min()), int(line.max()) + 1
        c0, c1 = int(left.min()), int(right.max())
        width = c1 - c0 + 1
        size = (r1 - r0) * width
        opened = np.bincount((line - r0) * width + left - c0, minlength=size)
        closed = np.bincount((line - r0) * width + right - c0, minlength=size)
        diff = (opened - closed).reshape(r1 - r0, width)
        out[r0:r1, c0:c1] = np.cumsum(diff[:, :-1], axis=1) > 0
    rr, cc = _on_edges(a, b, shape)
    out[rr, cc] = True
    return out


def _on_edges(a: NDArray[np.float64], b: NDArray[np.float64], shape: tuple[int, int]
              ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return the pixels whose centre lies on an edge ``a[i] -> b[i]`` (within 1e-4 pixel).

    Other tools (rt-utils, OpenCV's ``findContours``) trace contours through the centres
    of the boundary pixels; a closed polygon includes its boundary, so those pixels are
    set. The contours :func:`mask_contours` traces pass no closer than a quarter pixel to
    any centre, so this adds nothing to them.
    """
    eps = 1e-4
    rows_out, cols_out = [], []
    y0, x0, y1, x1 = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    for (p0, q0, p1, q1), transpose in (((y0, x0, y1, x1), False), ((x0, y0, x1, y1), True)):
        # Lines of constant p (rows, then columns) through pixel centres: where the edge
        # crosses one at an integer q, that centre is on the edge.
        lo = np.ceil(np.minimum(p0, p1) - eps).astype(np.int64)
        hi = np.floor(np.maximum(p0, p1) + eps).astype(np.int64)
        counts = np.maximum(hi - lo + 1, 0)
        counts[np.abs(p1 - p0) <= eps] = 0  # along the line: the other pass finds its centres
        if counts.sum() == 0:
            continue
        edge = np.repeat(np.arange(len(p0)), counts)
        p = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + lo[edge]
        t = np.clip((p - p0[edge]) / (p1[edge] - p0[edge]), 0.0, 1.0)
        q = q0[edge] + t * (q1[edge] - q0[edge])
        hit = np.abs(q - np.round(q)) <= eps
        p, q = p[hit], np.round(q[hit]).astype(np.int64)
        r, c = (q, p) if transpose else (p, q)
        keep = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
        rows_out.append(r[keep])
        cols_out.append(c[keep])
    if not rows_out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows_out), np.concatenate(cols_out)
