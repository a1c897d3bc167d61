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
    "clause",
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


def clause(exc: BaseException, first_line: bool = False) -> str:
    r"""Return an exception's message as one clause, to go inside a sentence.

    Whitespace and line breaks become single spaces (or, with ``first_line``, only the first
    line is kept: a decoder's traceback-like message) and the final full stop goes, so the
    clause reads inside ``f"... ({clause(exc)})."``; an empty message gives the type's name.

    >>> clause(ValueError("bad\n  value.")), clause(KeyError()), clause(OSError("a.\nb"), first_line=True)
    ('bad value', 'KeyError', 'a')
    """
    text = str(exc).strip()
    if first_line:
        text = text.splitlines()[0] if text else ""
    return " ".join(text.split()).rstrip(".") or type(exc).__name__
