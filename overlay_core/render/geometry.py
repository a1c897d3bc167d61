"""View geometry: how a displayed (downscaled or zoomed) view maps to image pixels.

Two coordinate systems meet here, kept apart on purpose:

* the display (the browser canvas) speaks ``(x, y)`` in display pixels, x to the right;
* the image speaks ``(row, col)`` in image pixels, 0-based from the top-left.

A view shows the image *region* ``rows x cols`` starting at ``(row0, col0)`` (the zoom;
not to be confused with a VOI window of grey levels), resized to
``display_height x display_width``. Display pixel ``(x, y)`` covers image positions
``col0 + x / scale_x`` to ``col0 + (x + 1) / scale_x`` (likewise for rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_core.errors import InvalidArgumentError

__all__ = ["Region", "ViewGeometry", "fit_view"]


@dataclass(frozen=True)
class Region:
    """A zoom region: a rectangle of the image in 0-based image pixels: ``(row0, col0, rows, cols)``."""

    row0: int
    col0: int
    rows: int
    cols: int


@dataclass(frozen=True)
class ViewGeometry:
    """A view of ``region`` of an image, shown at ``display_width x display_height``.

    Examples
    --------
    >>> g = fit_view(1000, 500, max_size=250)
    >>> (g.display_width, g.display_height), g.display_to_image(10, 20)
    ((125, 250), (80.0, 40.0))
    """

    image_rows: int
    image_cols: int
    region: Region
    display_width: int
    display_height: int

    @property
    def scale_x(self) -> float:
        """Display pixels per image column."""
        return self.display_width / self.region.cols

    @property
    def scale_y(self) -> float:
        """Display pixels per image row."""
        return self.display_height / self.region.rows

    @property
    def scale(self) -> float:
        """The mean of :attr:`scale_x` and :attr:`scale_y` (they differ by rounding only)."""
        return (self.scale_x + self.scale_y) / 2

    def display_to_image(self, x: float, y: float) -> tuple[float, float]:
        """Map a display point ``(x, y)`` to an image position ``(row, col)`` (floats)."""
        return (self.region.row0 + y / self.scale_y, self.region.col0 + x / self.scale_x)

    def image_to_display(self, row: float, col: float) -> tuple[float, float]:
        """Map an image position ``(row, col)`` to a display point ``(x, y)``."""
        return ((col - self.region.col0) * self.scale_x, (row - self.region.row0) * self.scale_y)


def fit_view(
    image_rows: int,
    image_cols: int,
    max_size: int | None = None,
    region: Region | None = None,
    width: int | None = None,
) -> ViewGeometry:
    """Return the geometry that shows ``region`` (the whole image by default).

    Parameters
    ----------
    image_rows, image_cols : int
        The image's size.
    max_size : int, optional
        The longest display side; views are never enlarged by ``max_size``.
    region : Region, optional
        The zoomed region; clipped to the image.
    width : int, optional
        An exact display width (the canvas width in the app); the height follows the
        aspect ratio. Overrides ``max_size`` and may enlarge a small region.

    Raises
    ------
    InvalidArgumentError
        If the image or the window is empty.

    Examples
    --------
    >>> g = fit_view(100, 100, region=Region(10, 20, 50, 25), width=100)
    >>> (g.display_width, g.display_height), g.display_to_image(0, 0)
    ((100, 200), (10.0, 20.0))
    """
    if image_rows < 1 or image_cols < 1:
        raise InvalidArgumentError("There is no image to show.")
    win = region or Region(0, 0, image_rows, image_cols)
    row0 = min(max(win.row0, 0), image_rows - 1)
    col0 = min(max(win.col0, 0), image_cols - 1)
    rows = min(win.rows, image_rows - row0)
    cols = min(win.cols, image_cols - col0)
    if rows < 1 or cols < 1:
        raise InvalidArgumentError("The zoom region must cover at least one pixel of the image.")
    win = Region(row0, col0, rows, cols)
    if width is not None:
        scale = width / cols
    elif max_size is not None:
        scale = min(1.0, max_size / max(rows, cols))
    else:
        scale = 1.0
    return ViewGeometry(
        image_rows, image_cols, win,
        display_width=max(1, round(cols * scale)),
        display_height=max(1, round(rows * scale)),
    )
