"""The plane model: what one overlay plane is, and what a diagnostic finding is.

Conventions used throughout :mod:`overlay_core`:

* Masks are ``numpy.bool_`` arrays indexed ``(frame, row, col)`` from the top-left.
* :attr:`OverlayPlane.origin` is (60xx,0050) *Overlay Origin* exactly as stored:
  ``(row, col)``, 1-based, so ``(1, 1)`` is the image's top-left pixel. It is turned
  into a 0-based offset in one place only, :func:`overlay_core.planes.placement.origin_offset`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Self, TypeVar

from overlay_core.errors import InvalidArgumentError

__all__ = [
    "FIRST_GROUP",
    "LAST_GROUP",
    "OVERLAY_GROUPS",
    "Choice",
    "Finding",
    "ImageInfo",
    "OverlayPlane",
    "OverlayType",
    "Severity",
    "coerce_choice",
    "group_hex",
    "parse_group",
    "parse_groups",
]

FIRST_GROUP = 0x6000
LAST_GROUP = 0x601E
#: The 16 repeating groups that may hold an overlay plane (PS3.3 C.9.2).
OVERLAY_GROUPS: tuple[int, ...] = tuple(range(FIRST_GROUP, LAST_GROUP + 1, 2))


E = TypeVar("E", bound=enum.StrEnum)


def coerce_choice(cls: type[E], value: E | str, what: str) -> E:
    """Return ``value`` as a member of the string enum ``cls``, by value or name, any case.

    The one validation message for every enumerated choice in :mod:`overlay_core`.

    >>> coerce_choice(OverlayType, "roi", "Overlay Type")
    <OverlayType.ROI: 'R'>
    """
    if isinstance(value, cls):
        return value
    text = str(value).strip().lower()
    for member in cls:
        if text in (member.value.lower(), member.name.lower()):
            return member
    names = [f'"{m.value}"' for m in cls]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    raise InvalidArgumentError(f'The {what} must be {listed}, not "{value}".')


class Choice(enum.StrEnum):
    """A string enum whose arguments are accepted as a member, a value or a name, in any case.

    Messages name the choice by its class name (``OverlayType``: "overlay type").
    """

    @classmethod
    def coerce(cls, value: Self | str) -> Self:
        """Return ``value`` as a member (:func:`coerce_choice`, the one message for every choice).

        >>> OverlayType.coerce("r")
        <OverlayType.ROI: 'R'>
        """
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()
        return coerce_choice(cls, value, words)


class OverlayType(Choice):
    """(60xx,0040) *Overlay Type*: ``G`` graphics or ``R`` region of interest."""

    GRAPHICS = "G"
    ROI = "R"


class Severity(enum.StrEnum):
    """How much a :class:`Finding` matters."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One diagnostic about a file or one of its overlay groups.

    Attributes
    ----------
    severity : Severity
        ``error`` means the plane cannot be used as stored.
    code : str
        A stable, machine-readable name such as ``"data-short"``.
    group : int or None
        The overlay group concerned (``0x6000``...), or ``None`` for the file.
    message : str
        One sentence for a person.
    """

    severity: Severity
    code: str
    group: int | None
    message: str


@dataclass(frozen=True)
class OverlayPlane:
    """The attributes of one overlay plane, as read from its 60xx group.

    Attributes
    ----------
    group : int
        The repeating group, ``0x6000`` to ``0x601E``.
    rows, columns : int
        (60xx,0010) *Overlay Rows* and (60xx,0011) *Overlay Columns*.
    origin : tuple of int
        (60xx,0050) *Overlay Origin* as stored: ``(row, col)``, 1-based.
    type : OverlayType
        (60xx,0040) *Overlay Type*.
    frames : int
        (60xx,0015) *Number of Frames in Overlay* (1 when absent).
    image_frame_origin : int
        (60xx,0051) *Image Frame Origin*, 1-based (1 when absent).
    frame_specific : bool
        True when (60xx,0015) or (60xx,0051) is present. A plane without either applies
        to every frame of a multi-frame image, as DCMTK renders it.
    bits_allocated, bit_position : int
        (60xx,0100) and (60xx,0102); ``bits_allocated > 1`` means the retired form
        embedded in Pixel Data.
    embedded : bool
        True when the bits live in Pixel Data rather than (60xx,3000) *Overlay Data*.
    vr : str or None
        The VR of (60xx,3000), ``None`` for embedded planes.
    data_length : int or None
        Length of (60xx,3000) in bytes, ``None`` for embedded planes.
    set_bits : int
        How many pixels the plane sets (over all its frames).
    """

    group: int
    rows: int
    columns: int
    origin: tuple[int, int] = (1, 1)
    type: OverlayType = OverlayType.GRAPHICS
    subtype: str = ""
    label: str = ""
    description: str = ""
    frames: int = 1
    image_frame_origin: int = 1
    frame_specific: bool = False
    bits_allocated: int = 1
    bit_position: int = 0
    roi_area: int | None = None
    roi_mean: float | None = None
    roi_standard_deviation: float | None = None
    embedded: bool = False
    vr: str | None = "OW"
    data_length: int | None = None
    set_bits: int = 0

    @property
    def group_hex(self) -> str:
        """The group as four upper-case hex digits, e.g. ``"6000"``."""
        return group_hex(self.group)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(frames, rows, columns)`` of the plane's own bitmap."""
        return (self.frames, self.rows, self.columns)


def group_hex(group: int) -> str:
    """Format an overlay group as four hex digits.

    >>> group_hex(0x6002)
    '6002'
    """
    return f"{group:04X}"


def parse_group(value: int | str) -> int:
    """Return a valid overlay group from ``0x6000``, ``"6000"`` or ``"0x6000"``.

    Raises
    ------
    InvalidArgumentError
        If the value is not one of the 16 even groups 6000 to 601E.

    Examples
    --------
    >>> hex(parse_group("601e"))
    '0x601e'
    """
    if isinstance(value, int):
        group = value
    else:
        text = str(value).strip().lower().removeprefix("0x")
        try:
            group = int(text, 16)
        except ValueError:
            raise InvalidArgumentError(
                f'"{value}" is not an overlay group; use an even group from 6000 to 601E.'
            ) from None
    if group not in OVERLAY_GROUPS:
        raise InvalidArgumentError(
            f"{group:04X} is not an overlay group; use an even group from 6000 to 601E."
        )
    return group


@dataclass(frozen=True)
class ImageInfo:
    """What the overlay code needs to know about a dataset's image.

    ``rows``, ``columns`` and ``frames`` are 0 when the dataset has no image
    (a presentation state, for example).
    """

    rows: int
    columns: int
    frames: int
    has_pixel_data: bool
    photometric: str
    bits_allocated: int
    bits_stored: int
    high_bit: int
    samples_per_pixel: int
    transfer_syntax: str
    transfer_syntax_name: str
    compressed: bool

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(frames, rows, columns)`` of the image."""
        return (self.frames, self.rows, self.columns)


def parse_groups(value: str | Iterable[int | str]) -> list[int] | None:
    """Parse a list of groups (the CLI's ``--overlays``): ``all`` is ``None``, ``none`` is ``[]``.

    Raises
    ------
    InvalidArgumentError
        If a group is not one of 6000 to 601E (even).

    Examples
    --------
    >>> parse_groups("all"), parse_groups("none"), parse_groups("6002, 6000,6002")
    (None, [], [24578, 24576])
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "all":
            return None
        if text in ("none", ""):
            return []
        items: list[int | str] = [t for t in text.split(",") if t.strip()]
    else:
        items = list(value)
    groups: list[int] = []
    for item in items:
        group = parse_group(item)
        if group not in groups:
            groups.append(group)
    return groups
