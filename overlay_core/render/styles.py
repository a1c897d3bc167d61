"""Plane styles: the colour, opacity, visibility and outline each overlay plane is drawn with.

Each group has a distinct default colour (:data:`PALETTE`); type R planes default to a
translucent fill with a solid outline in the app (:func:`default_style`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from overlay_core.errors import InvalidArgumentError
from overlay_core.model import FIRST_GROUP, OverlayPlane, OverlayType, parse_group

__all__ = [
    "PALETTE",
    "ROI_FILL_OPACITY",
    "PlaneStyle",
    "default_color",
    "default_style",
    "default_styles",
    "parse_color",
]

#: One distinct, saturated (never grey) colour per overlay group 6000, 6002, ... 601E.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 225, 25),   # 6000 yellow
    (70, 240, 240),   # 6002 cyan
    (240, 50, 230),   # 6004 magenta
    (0, 130, 200),    # 6006 blue (lime was too close to 6000's yellow)
    (245, 130, 48),   # 6008 orange
    (230, 25, 75),    # 600A red
    (210, 245, 60),   # 600C lime
    (60, 180, 75),    # 600E green
    (250, 190, 212),  # 6010 pink
    (220, 190, 255),  # 6012 lavender
    (170, 255, 195),  # 6014 mint
    (255, 215, 180),  # 6016 apricot
    (0, 128, 128),    # 6018 teal
    (170, 110, 40),   # 601A brown
    (128, 128, 0),    # 601C olive
    (145, 30, 180),   # 601E purple
)

#: The fill opacity of a type R (region of interest) plane in the app's default look; its
#: outline is drawn solid on top.
ROI_FILL_OPACITY = 0.3

def default_color(group: int) -> tuple[int, int, int]:
    """Return the palette colour of an overlay group.

    >>> default_color(0x6000), default_color(0x6002)
    ((255, 225, 25), (70, 240, 240))
    """
    return PALETTE[(parse_group(group) - FIRST_GROUP) // 2]


def parse_color(value: str | Sequence[int]) -> tuple[int, int, int]:
    """Return an ``(r, g, b)`` colour from ``"#rrggbb"`` or three integers 0-255.

    Raises
    ------
    InvalidArgumentError
        If the value is neither.

    Examples
    --------
    >>> parse_color("#FF8000"), parse_color([0, 128, 255])
    ((255, 128, 0), (0, 128, 255))
    """
    if isinstance(value, str):
        text = value.strip().removeprefix("#")
        if len(text) == 6:
            try:
                return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
            except ValueError:
                pass
        raise InvalidArgumentError(f'A colour must look like "#ff8000", not "{value}".')
    items = list(value)
    if len(items) != 3 or not all(isinstance(v, (int, np.integer)) and 0 <= v <= 255 for v in items):
        raise InvalidArgumentError(f"A colour must be three integers from 0 to 255, not {items}.")
    return (int(items[0]), int(items[1]), int(items[2]))


@dataclass(frozen=True)
class PlaneStyle:
    """How one overlay plane is drawn.

    Attributes
    ----------
    group : int
        The overlay group, ``0x6000`` to ``0x601E`` (``"6002"`` is accepted).
    color : tuple of int
        ``(r, g, b)``, 0-255 (``"#rrggbb"`` is accepted).
    opacity : float
        0 (invisible) to 1 (solid) for the plane's set pixels.
    visible : bool
        Whether the plane is drawn at all.
    outline : bool
        Also draw the plane's edge pixels (set pixels with an unset 4-neighbour, in display
        pixels) solid, on top of the fill.

    Examples
    --------
    >>> PlaneStyle("6002", "#00ff00").color_hex
    '#00ff00'
    >>> PlaneStyle(0x6000, (255, 0, 0), opacity=2)
    Traceback (most recent call last):
    ...
    overlay_core.errors.InvalidArgumentError: The opacity must be between 0 and 1, not 2.
    """

    group: int
    color: tuple[int, int, int]
    opacity: float = 1.0
    visible: bool = True
    outline: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "group", parse_group(self.group))
        object.__setattr__(self, "color", parse_color(self.color))
        opacity = float(self.opacity)
        if not 0.0 <= opacity <= 1.0:
            raise InvalidArgumentError(f"The opacity must be between 0 and 1, not {self.opacity:g}.")
        object.__setattr__(self, "opacity", opacity)

    @property
    def color_hex(self) -> str:
        """The colour as ``"#rrggbb"``, as a colour picker wants it."""
        return "#{:02x}{:02x}{:02x}".format(*self.color)


def default_style(plane: OverlayPlane, roi_look: bool = True) -> PlaneStyle:
    """Return the default style of a plane: its palette colour, visible.

    Type G planes are solid. Type R planes, with ``roi_look`` (the app), are a translucent
    fill (:data:`ROI_FILL_OPACITY`) with a solid outline; without it (the CLI) they are
    solid like type G planes.

    >>> default_style(OverlayPlane(0x6002, 4, 4, type=OverlayType.ROI))
    PlaneStyle(group=24578, color=(70, 240, 240), opacity=0.3, visible=True, outline=True)
    """
    if roi_look and plane.type is OverlayType.ROI:
        return PlaneStyle(plane.group, default_color(plane.group), ROI_FILL_OPACITY, True, True)
    return PlaneStyle(plane.group, default_color(plane.group))


def default_styles(planes: Iterable[OverlayPlane], roi_look: bool = True) -> list[PlaneStyle]:
    """:func:`default_style` of each plane, in the order given."""
    return [default_style(p, roi_look) for p in planes]
