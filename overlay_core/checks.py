"""One helper per repeated check, so each message reads the same everywhere.

As scikit-image's ``check_nD``: the library raises these sentences, and the app and the
CLI show them as they are. Frames are 0-based *indices* in the core
(:func:`check_frame_index`); the CLI's 1-based frame *numbers* are checked at its edge by
:func:`check_frame_number`.

>>> try:
...     check_frame_index(2, 2, "overlay group 6000")
... except InvalidArgumentError as exc:
...     print(exc)
Frame index 2 is out of range: overlay group 6000 has 2 frame(s), indices 0 to 1.
"""

from __future__ import annotations

from overlay_core.errors import InvalidArgumentError
from overlay_core.model import ImageInfo

__all__ = ["check_frame_index", "check_frame_number", "require_image"]


def require_image(info: ImageInfo, purpose: str) -> None:
    """Raise unless the file has an image; ``purpose`` ends the sentence ("to render").

    >>> try:
    ...     require_image(ImageInfo(0, 0, 0, False, "", 0, 0, 0, 1, "", "", False), "to render")
    ... except InvalidArgumentError as exc:
    ...     print(exc)
    The file has no image (no Rows and Columns) to render; it may be a presentation state.
    """
    if info.rows == 0 or info.columns == 0:
        raise InvalidArgumentError(
            f"The file has no image (no Rows and Columns) {purpose}; it may be a presentation state."
        )


def check_frame_index(frame: int, count: int, what: str) -> None:
    """Raise unless ``frame`` is a 0-based index of one of ``what``'s ``count`` frames."""
    if not 0 <= frame < count:
        raise InvalidArgumentError(
            f"Frame index {frame} is out of range: {what} has {count} frame(s), indices 0 to {count - 1}."
        )


def check_frame_number(frame: int, count: int) -> None:
    """Raise unless ``frame`` is a 1-based frame number of the image (the CLI's ``--frame``).

    >>> check_frame_number(1, 3)
    """
    if not 1 <= frame <= count:
        raise InvalidArgumentError(
            f"Frame {frame} does not exist: the image has {count} frame(s), numbered 1 to {count}."
        )
