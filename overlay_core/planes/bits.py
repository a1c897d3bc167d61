"""Packing and unpacking (60xx,3000) *Overlay Data*.

Overlay Data holds one bit per pixel, frame after frame, row after row, the first pixel
in the least significant bit of the first byte, padded to an even length
(PS3.5 8.1.1 and 8.2). pydicom's :func:`~pydicom.pixels.pack_bits` and
:func:`~pydicom.pixels.unpack_bits` use exactly that order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from overlay_core.checks import check_frame_index
from overlay_core.errors import InvalidArgumentError, InvalidOverlayError
from overlay_core.model import Finding, Severity

__all__ = [
    "as_frames", "check_data", "count_set", "expected_length", "pack_mask", "unpack_data", "unpack_frame",
]

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
    # What pydicom's pack_bits(..., pad=True) gives, without its checks and copies (a 4096²
    # plane packs over ten times faster): every tool's result is stored through here.
    data = np.packbits(arr.reshape(-1), bitorder="little").tobytes()
    return data + b"\0" if len(data) % 2 else data


def check_data(
    length: int, frames: int, rows: int, columns: int, group: int | None = None
) -> list[Finding]:
    """Check the length of Overlay Data against the plane's size, before anything is unpacked.

    Returns the recoverable faults (missing pad byte, excess padding, a few bits short).

    Raises
    ------
    InvalidOverlayError
        If the size is not positive or the data is far too short to be this plane.

    Examples
    --------
    >>> [f.code for f in check_data(1, 1, 3, 3)]
    ['data-short']
    """
    where = f"Overlay group {group:04X}" if group is not None else "The overlay"
    if frames < 1 or rows < 1 or columns < 1:
        raise InvalidOverlayError(
            f"{where} has an unusable size of {frames} frame(s) of {rows} x {columns} pixels."
        )
    nbits = frames * rows * columns
    needed = (nbits + 7) // 8
    expected = needed + needed % 2
    short_bits = nbits - length * 8
    if short_bits > MAX_SHORT_BITS:
        raise InvalidOverlayError(
            f"{where} has {length} bytes of data but its size of {frames} frame(s) of "
            f"{rows} x {columns} pixels needs {expected} bytes."
        )
    if short_bits > 0:
        return [Finding(
            Severity.WARNING, "data-short", group,
            f"{where} data is {short_bits} bits short ({length} bytes, {expected} expected); "
            "the missing pixels were read as unset.",
        )]
    if length == needed and needed % 2:
        return [Finding(
            Severity.INFO, "missing-pad", group,
            f"{where} data has an odd length ({length} bytes) and lacks its pad byte.",
        )]
    if length > expected:
        return [Finding(
            Severity.WARNING, "excess-padding", group,
            f"{where} data is {length} bytes long but {expected} bytes were expected; "
            "the excess was ignored.",
        )]
    return []


def count_set(data: bytes, nbits: int) -> int:
    r"""Count the set bits among the first ``nbits`` of packed Overlay Data, without unpacking.

    >>> count_set(b"\x01\x01", 9), count_set(b"\xff", 4)
    (2, 4)
    """
    full, rest = divmod(nbits, 8)
    full_bytes = min(full, len(data))
    words = full_bytes // 8  # counted 64 bits at a time: the counts take 1/8 of the data's size
    total = int(np.bitwise_count(np.frombuffer(data, "<u8", count=words)).sum(dtype=np.int64))
    total += int(np.bitwise_count(np.frombuffer(data, np.uint8, count=full_bytes - 8 * words,
                                                offset=8 * words)).sum(dtype=np.int64))
    if rest and len(data) > full:
        total += (data[full] & ((1 << rest) - 1)).bit_count()
    return total


def unpack_data(
    data: bytes, frames: int, rows: int, columns: int, group: int | None = None
) -> tuple[NDArray[np.bool_], list[Finding]]:
    r"""Unpack Overlay Data into a ``(frames, rows, cols)`` bool array.

    Recoverable faults are reported, not raised (see :func:`check_data`): a missing pad
    byte, excess padding (trimmed) and data at most a few bits short (zero-filled).

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
        As :func:`check_data`.

    Examples
    --------
    >>> mask, findings = unpack_data(b"\x01\x01", 1, 3, 3)
    >>> mask.astype(int)[0].tolist(), findings
    ([[1, 0, 0], [0, 0, 0], [0, 0, 1]], [])
    """
    findings = check_data(len(data), frames, rows, columns, group)
    nbits = frames * rows * columns
    short_bits = nbits - len(data) * 8
    if short_bits > 0:
        data = data + bytes((short_bits + 7) // 8)
    mask = _unpack(bytes(data[: (nbits + 7) // 8]), 0, nbits).reshape(frames, rows, columns)
    return mask, findings


def _unpack(data: bytes, skip: int, count: int) -> NDArray[np.bool_]:
    r"""Unpack ``count`` bits, LSB first, after the first ``skip`` bits of ``data``.

    The order of :func:`pydicom.pixels.unpack_bits`, in one numpy pass without its copies
    (a 4096² plane unpacks about four times faster): every plane read goes through here.

    >>> _unpack(b"\x06", 1, 3).astype(int).tolist()
    [1, 1, 0]
    """
    bits = np.unpackbits(np.frombuffer(data, np.uint8), count=skip + count, bitorder="little")
    return bits[skip:].view(np.bool_)


def unpack_frame(
    data: bytes, frames: int, rows: int, columns: int, frame: int, group: int | None = None
) -> NDArray[np.bool_]:
    r"""Unpack one 0-based frame of Overlay Data into a ``(rows, cols)`` bool array.

    Only the bytes that hold the frame are unpacked; the checks are those of
    :func:`unpack_data`, and ``frame`` must be one of the plane's frames.

    >>> unpack_frame(b"\x01\x01", 2, 2, 2, 1).astype(int).tolist()  # bits 4-7 of byte 0
    [[0, 0], [0, 0]]
    >>> unpack_frame(b"\x10\x00", 2, 2, 2, 1).astype(int).tolist()
    [[1, 0], [0, 0]]
    """
    check_data(len(data), frames, rows, columns, group)
    check_frame_index(frame, frames, "the plane" if group is None else f"overlay group {group:04X}")
    size = rows * columns
    start = frame * size
    first, last = start // 8, (start + size + 7) // 8
    chunk = bytes(data[first:last])
    chunk += bytes(last - first - len(chunk))
    return _unpack(chunk, start - first * 8, size).reshape(rows, columns)
