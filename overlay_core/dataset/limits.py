"""Limits the operator sets: how large an image, how many frames, how much memory.

Every size a file claims is checked against these limits from its header alone, for
every transfer syntax (native, compressed, or no Pixel Data at all), before anything the
size of the image is allocated or decoded. A 958-byte RLE file claiming 46340 x 46340
pixels is refused in microseconds instead of costing seconds of CPU and gigabytes.

=================================  ==============  ===================================
environment variable               default         what it bounds
=================================  ==============  ===================================
``OVERLAY_STUDIO_MAX_FRAME_PIXELS``  33554432 (2^25)  Rows x Columns of one frame
``OVERLAY_STUDIO_MAX_FRAMES``        10000           Number of Frames
``OVERLAY_STUDIO_SESSION_BYTES``     1G              the memory one app session (or one CLI
                                                     call) may use for its files; a file's
                                                     decoded image must fit in it too
=================================  ==============  ===================================

Byte sizes accept a ``K``, ``M`` or ``G`` suffix (powers of 1024). The values are read
from the environment on every call, so tests and operators can change them at run time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from overlay_core.errors import InvalidArgumentError, LimitError
from overlay_core.model import ImageInfo

__all__ = [
    "ENV_FRAMES",
    "ENV_FRAME_PIXELS",
    "ENV_SESSION_BYTES",
    "Limits",
    "check_image",
    "current",
    "decoded_bytes",
    "format_bytes",
    "parse_bytes",
]

ENV_FRAME_PIXELS = "OVERLAY_STUDIO_MAX_FRAME_PIXELS"
ENV_FRAMES = "OVERLAY_STUDIO_MAX_FRAMES"
ENV_SESSION_BYTES = "OVERLAY_STUDIO_SESSION_BYTES"

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20,
          "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30}


def parse_bytes(text: str) -> int:
    """Return a byte count from ``"512M"``, ``"1G"``, ``"1048576"``.

    >>> parse_bytes("512M"), parse_bytes("2g"), parse_bytes("1000")
    (536870912, 2147483648, 1000)
    """
    raw = text.strip().upper().replace(" ", "")
    digits = raw.rstrip("KMGIB")
    unit = raw[len(digits):]
    if not digits.isdigit() or unit not in _UNITS:
        raise InvalidArgumentError(f'A size must look like "512M" or "1G", not "{text}".')
    return int(digits) * _UNITS[unit]


def format_bytes(count: int) -> str:
    """Return a byte count for people: ``"1.5 GB"``, ``"300 MB"``, ``"12 KB"``.

    >>> format_bytes(3 << 29), format_bytes(300 << 20), format_bytes(12_000)
    ('1.5 GB', '300 MB', '12 KB')
    """
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= size:
            value = count / size
            return f"{value:.1f} {unit}".replace(".0 ", " ") if value < 10 else f"{value:.0f} {unit}"
    return f"{count} bytes"


@dataclass(frozen=True)
class Limits:
    """The limits in force (see the module docstring for their environment variables).

    Attributes
    ----------
    frame_pixels : int
        The most Rows x Columns of one frame.
    frames : int
        The most frames of one image.
    session_bytes : int
        The memory budget of one session's files, in bytes.
    """

    frame_pixels: int = 1 << 25
    frames: int = 10_000
    session_bytes: int = 1 << 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Return the limits set in the environment, defaults for those not set.

        Raises
        ------
        InvalidArgumentError
            If a variable is set to something that is not a positive number.

        Examples
        --------
        >>> Limits.from_env({"OVERLAY_STUDIO_MAX_FRAMES": "10", "OVERLAY_STUDIO_SESSION_BYTES": "2G"})
        Limits(frame_pixels=33554432, frames=10, session_bytes=2147483648)
        """
        env = os.environ if environ is None else environ
        default = cls()

        def number(name: str, fallback: int, parse: type[int] | None = None) -> int:
            text = env.get(name, "").strip()
            if not text:
                return fallback
            try:
                value = int(text) if parse is int else parse_bytes(text)
            except (ValueError, InvalidArgumentError):
                raise InvalidArgumentError(f'{name} must be a positive number, not "{text}".') from None
            if value < 1:
                raise InvalidArgumentError(f'{name} must be a positive number, not "{text}".')
            return value

        return cls(
            frame_pixels=number(ENV_FRAME_PIXELS, default.frame_pixels, int),
            frames=number(ENV_FRAMES, default.frames, int),
            session_bytes=number(ENV_SESSION_BYTES, default.session_bytes),
        )


def current() -> Limits:
    """Return the limits set in the environment now (:meth:`Limits.from_env`)."""
    return Limits.from_env()


def decoded_bytes(info: ImageInfo) -> int:
    """Return the bytes of the image decoded: frames x rows x columns x samples x bytes per sample.

    >>> decoded_bytes(ImageInfo(512, 512, 2, True, "MONOCHROME2", 16, 12, 11, 1, "", "", False))
    1048576
    """
    per_sample = max(1, (max(info.bits_allocated, 1) + 7) // 8)
    return info.frames * info.rows * info.columns * max(1, info.samples_per_pixel) * per_sample


def check_image(info: ImageInfo, limits: Limits | None = None) -> None:
    """Raise if the image's claimed size exceeds the limits; allocate nothing.

    Raises
    ------
    LimitError
        Naming the claim, the limit and the variable that sets it.

    Examples
    --------
    >>> from overlay_core.errors import LimitError
    >>> try:
    ...     check_image(ImageInfo(46340, 46340, 1, True, "MONOCHROME2", 8, 8, 7, 1, "", "", True))
    ... except LimitError as exc:
    ...     print(str(exc)[:60])
    The image claims 46340 x 46340 pixels per frame, more than t
    """
    limits = limits or current()
    if info.rows == 0 or info.columns == 0:
        return
    if info.rows * info.columns > limits.frame_pixels:
        raise LimitError(
            f"The image claims {info.rows} x {info.columns} pixels per frame, more than the "
            f"{limits.frame_pixels:,} this server accepts ({ENV_FRAME_PIXELS})."
        )
    if info.frames > limits.frames:
        raise LimitError(
            f"The image claims {info.frames} frames, more than the {limits.frames:,} this "
            f"server accepts ({ENV_FRAMES})."
        )
    size = decoded_bytes(info)
    if size > limits.session_bytes:
        raise LimitError(
            f"The image would need {format_bytes(size)} decoded, more than the "
            f"{format_bytes(limits.session_bytes)} one session may use ({ENV_SESSION_BYTES})."
        )
