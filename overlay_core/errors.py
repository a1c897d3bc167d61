"""The one exception family that every caller of :mod:`overlay_core` catches.

Each subclass also inherits the matching builtin, so ordinary ``except ValueError``
clauses keep working. Messages are single sentences a non-programmer can act on.
"""

from __future__ import annotations

__all__ = [
    "InvalidArgumentError",
    "InvalidOverlayError",
    "LimitError",
    "NotDicomError",
    "OverlayError",
    "PlaneNotFoundError",
    "UnsupportedError",
    "WriteCheckError",
    "WrongReferenceError",
]


class OverlayError(Exception):
    """Base class of every error raised by :mod:`overlay_core`."""


class NotDicomError(OverlayError, ValueError):
    """The bytes are not a readable DICOM file (not DICOM, truncated or corrupt)."""


class InvalidOverlayError(OverlayError, ValueError):
    """An overlay plane's attributes or data are unusable."""


class PlaneNotFoundError(OverlayError, LookupError):
    """The requested overlay group does not exist in the dataset."""

    def __str__(self) -> str:  # LookupError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class InvalidArgumentError(OverlayError, ValueError):
    """A caller passed a value that does not fit (wrong mask shape, bad group, ...)."""


class UnsupportedError(OverlayError, NotImplementedError):
    """The operation cannot be done on this file (e.g. compressed Pixel Data)."""


class WriteCheckError(OverlayError, ValueError):
    """Written bytes do not read back as the dataset they were written from."""


class LimitError(OverlayError, ValueError):
    """A file or request exceeds a limit the operator set (size, frames, memory)."""


class WrongReferenceError(OverlayError, ValueError):
    """A derived object (SEG, presentation state) does not reference the image it is used with."""
