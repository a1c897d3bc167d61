"""Packing and unpacking (60xx,3000) *Overlay Data*.

Overlay Data holds one bit per pixel, frame after frame, row after row, the first pixel
in the least significant bit of the first byte, padded to an even length
(PS3.5 8.1.1 and 8.2). pydicom's :func:`~pydicom.pixels.pack_bits` and
:func:`~pydicom.pixels.unpack_bits` use exactly that order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.pixels.utils import pack_bits, unpack_bits

from .errors import InvalidArgumentError, InvalidOverlayError
from .model import Finding, Severity

__all__ = ["as_frames", "expected_length", "pack_mask", "unpack_data"]

# Data that falls short by at most this many bits is zero-filled with a warning
# (fo-dicom GH1728 is 4 bits short); anything shorter is refused as unusable.
MAX_SHORT_BITS = 64


def expected_length(frames: int, rows: int, columns: int) -> int:
    """Return the even byte length of Overlay Data for a plane of this size.

    >>> expected_length(1, 3, 3)
    2
    >>> expected_length(1, 484, 484)
    29282
    """
    nbytes = (frames * rows * columns + 7) // 8
    return nbytes + nbytes % 2


def as_frames(mask: NDArray[np.generic]) -> NDArray[np.bool_]:
    """Return ``mask`` as a ``(frames, rows, cols)`` bool array (2-D gets one frame).

    >>> as_frames(np.ones((2, 3))).shape
    (1, 2, 3)
    """
    arr = np.asarray(mask)
    if arr.ndim == 2:
        arr = arr[np.newaxis]
    if arr.ndim != 3:
        raise InvalidArgumentError(
            f"A mask must have 2 or 3 dimensions (rows, columns or frames, rows, columns), "
            f"not {arr.ndim}."
        )
    if 0 in arr.shape:
        raise InvalidArgumentError(f"A mask must not be empty; its shape is {arr.shape}.")
    if arr.shape[1] > 0xFFFF or arr.shape[2] > 0xFFFF:
        raise InvalidArgumentError(
            f"A plane can have at most 65535 rows and columns, not {arr.shape[1]} x {arr.shape[2]}."
        )
    return arr.astype(bool, copy=False)


def pack_mask(mask: NDArray[np.generic]) -> bytes:
    r"""Pack a mask into Overlay Data bytes: LSB first, padded to an even length.

    Parameters
    ----------
    mask : array_like
        ``(rows, cols)`` or ``(frames, rows, cols)``; non-zero means set.

    Returns
    -------
    bytes
        ``expected_length(frames, rows, cols)`` bytes.

    Examples
    --------
    >>> pack_mask(np.array([[1, 0, 0], [0, 0, 0], [0, 0, 1]]))
    b'\x01\x01'
    """
    arr = as_frames(mask)
    return bytes(pack_bits(arr.ravel().astype(np.uint8), pad=True))


def unpack_data(
    data: bytes, frames: int, rows: int, columns: int, group: int | None = None
) -> tuple[NDArray[np.bool_], list[Finding]]:
    r"""Unpack Overlay Data into a ``(frames, rows, cols)`` bool array.

    Recoverable faults are reported, not raised: a missing pad byte, excess padding
    (trimmed) and data at most a few bits short (zero-filled).

    Parameters
    ----------
    data : bytes
        The value of (60xx,3000).
    frames, rows, columns : int
        The plane's size; checked against ``len(data)`` before anything is allocated.
    group : int, optional
        Named in the findings.

    Returns
    -------
    mask : numpy.ndarray
        ``numpy.bool_``, shape ``(frames, rows, columns)``.
    findings : list of Finding

    Raises
    ------
    InvalidOverlayError
        If the size is not positive or the data is far too short to be this plane.

    Examples
    --------
    >>> mask, findings = unpack_data(b"\x01\x01", 1, 3, 3)
    >>> mask.astype(int)[0].tolist(), findings
    ([[1, 0, 0], [0, 0, 0], [0, 0, 1]], [])
    """
    where = f"Overlay group {group:04X}" if group is not None else "The overlay"
    if frames < 1 or rows < 1 or columns < 1:
        raise InvalidOverlayError(
            f"{where} has an unusable size of {frames} frame(s) of {rows} x {columns} pixels."
        )
    nbits = frames * rows * columns
    needed = (nbits + 7) // 8
    expected = needed + needed % 2
    have = len(data)
    findings: list[Finding] = []
    short_bits = nbits - have * 8
    if short_bits > MAX_SHORT_BITS:
        raise InvalidOverlayError(
            f"{where} has {have} bytes of data but its size of {frames} frame(s) of "
            f"{rows} x {columns} pixels needs {expected} bytes."
        )
    if short_bits > 0:
        findings.append(Finding(
            Severity.WARNING, "data-short", group,
            f"{where} data is {short_bits} bits short ({have} bytes, {expected} expected); "
            "the missing pixels were read as unset.",
        ))
        data = data + bytes((short_bits + 7) // 8)
    elif have == needed and needed % 2:
        findings.append(Finding(
            Severity.INFO, "missing-pad", group,
            f"{where} data has an odd length ({have} bytes) and lacks its pad byte.",
        ))
    elif have > expected:
        findings.append(Finding(
            Severity.WARNING, "excess-padding", group,
            f"{where} data is {have} bytes long but {expected} bytes were expected; "
            "the excess was ignored.",
        ))
    bits = unpack_bits(bytes(data[: (nbits + 7) // 8]), as_array=True)
    assert isinstance(bits, np.ndarray)
    mask = bits[:nbits].astype(bool).reshape(frames, rows, columns)
    return mask, findings
