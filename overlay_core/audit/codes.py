"""The diagnostic codes: each code's severity and what it means, in one table.

:func:`overlay_core.audit.diagnostics.diagnose` returns findings with these codes only; the
README's *Diagnostics codes* table is tested to match :data:`CODES` row for row.

>>> CODES["missing-pad"].severity
<Severity.INFO: 'info'>
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_core.model import Severity

__all__ = ["CODES", "Code"]

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Code:
    """A diagnostic code's severity and what it means (one row of :data:`CODES`)."""

    severity: Severity
    meaning: str


#: Every code :func:`~overlay_core.audit.diagnostics.diagnose` can return.
CODES: dict[str, Code] = {
    "image-unusable": Code(E, "the image's own size is unusable (e.g. absurdly large)"),
    "group-odd": Code(W, "an odd group 6001–60FF holds overlay elements (ignored)"),
    "group-out-of-range": Code(W, "an even group 6020–60FE holds overlay elements (ignored)"),
    "activation-layer-only": Code(I, "only (60xx,1001) Overlay Activation Layer (presentation state)"),
    "group-empty": Code(W, "every element of the group is empty"),
    "size-missing": Code(E, "Overlay Rows/Columns missing, empty or 0"),
    "data-missing": Code(E, "no (60xx,3000) Overlay Data and not embedded in Pixel Data"),
    "type-missing": Code(W, "Overlay Type missing; G assumed"),
    "type-invalid": Code(W, "Overlay Type neither G nor R; G assumed"),
    "origin-missing": Code(W, "Overlay Origin missing; 1\\1 assumed"),
    "bits-allocated-missing": Code(W, "(60xx,0100) missing; 1 assumed"),
    "bits-allocated-wrong": Code(W, "standalone plane with (60xx,0100) other than 1"),
    "bits-allocated-mismatch": Code(
        E, "embedded plane's (60xx,0100) differs from the image's Bits Allocated"),
    "bit-position-missing": Code(W, "(60xx,0102) missing; 0 assumed"),
    "bit-position-wrong": Code(W, "standalone plane with (60xx,0102) other than 0"),
    "bit-position-out-of-range": Code(E, "embedded plane's bit lies outside the pixel word"),
    "bit-position-in-image-data": Code(W, "embedded plane's bit is at or below High Bit"),
    "embedded-retired": Code(W, "retired plane embedded in Pixel Data: migrate it"),
    "embedded-compressed": Code(E, "embedded plane in compressed Pixel Data"),
    "embedded-no-pixel-data": Code(E, "embedded plane in a file without Pixel Data"),
    "embedded-size-mismatch": Code(E, "embedded plane's size differs from the image's"),
    "frames-invalid": Code(W, "(60xx,0015) below 1; 1 assumed"),
    "frame-origin-invalid": Code(W, "(60xx,0051) below 1; 1 assumed"),
    "wrong-vr": Code(W, "an element stored with a VR other than the dictionary's (e.g. (60xx,0015) as US)"),
    "value-unreadable": Code(W, "a numeric element's value is not a usable number; absent assumed"),
    "origin-invalid": Code(W, "Overlay Origin without exactly two values; 1\\1 assumed"),
    "vr-ob-implicit": Code(W, "Overlay Data is OB under Implicit VR Little Endian (OW required)"),
    "odd-length": Code(W, "Overlay Data has an odd length (other than a missing pad byte)"),
    "missing-pad": Code(I, "Overlay Data lacks its pad byte"),
    "excess-padding": Code(W, "Overlay Data longer than needed; the excess is ignored"),
    "data-short": Code(W, "Overlay Data a few bits short; the missing pixels read as unset"),
    "data-too-short": Code(E, "Overlay Data far too short for the plane's size"),
    "plane-unusable": Code(E, "any other reason the plane cannot be read"),
    "origin-outside-image": Code(W, "the origin puts the plane wholly outside the image"),
    "plane-partly-outside": Code(I, "part of the plane lies outside the image; that part is not shown"),
    "frames-beyond-image": Code(W, "some plane frames fall beyond the image's last frame"),
}
