"""Mask files: the one mask reader and the one PNG writer of the code base.

The PNG rule, the same in the app and the command line: a PNG **with transparency**
(an alpha channel that is not fully opaque everywhere, or a palette or grey PNG with a
transparent colour) is set where it is not fully transparent; an **opaque** PNG (grey,
palette or colour) is set where its colour is not black. A NumPy ``.npy`` array is set
where it is non-zero. Files are recognised by their first bytes, not their names.

Masks are ``numpy.bool_`` arrays indexed ``(row, col)`` or ``(frames, row, col)`` from
the top-left.

Examples
--------
>>> read_mask(mask_png(np.eye(2, dtype=bool))).tolist()
[[True, False], [False, True]]
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from numpy.typing import NDArray

from overlay_core.errors import InvalidArgumentError
from overlay_core.files.png import png_bytes

__all__ = ["PNG_SIGNATURE", "encode_png", "mask_png", "read_mask"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_NPY_SIGNATURE = b"\x93NUMPY"


def _png_mask(data: bytes) -> NDArray[np.bool_]:
    from PIL import Image  # only to read a PNG: the other commands start without Pillow

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            opened.load()
    except Exception:
        raise InvalidArgumentError("The PNG mask could not be read; it may be damaged.") from None
    image: Image.Image = opened
    if image.mode in ("P", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
    arr = np.asarray(image)
    if arr.ndim == 2:
        return np.asarray(arr != 0)
    if image.mode in ("LA", "RGBA"):
        alpha = arr[..., -1]
        if (alpha != np.iinfo(alpha.dtype).max).any():
            return np.asarray(alpha != 0)
        arr = arr[..., :-1]
    return np.asarray(arr.any(axis=-1))


def _npy_mask(data: bytes) -> NDArray[np.bool_]:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception:
        raise InvalidArgumentError("The .npy mask could not be read; it may be damaged.") from None
    if arr.dtype.kind not in "biuf" or arr.ndim not in (2, 3) or 0 in arr.shape:
        raise InvalidArgumentError(
            f"The .npy mask must be a 2-D or 3-D array of booleans or numbers, not a "
            f"{arr.ndim}-D array of {arr.dtype} with shape {arr.shape}."
        )
    return np.asarray(arr != 0)


def read_mask(data: bytes) -> NDArray[np.bool_]:
    """Read a PNG or NumPy ``.npy`` mask (the rule is in the module docstring).

    Parameters
    ----------
    data : bytes
        The file's content.

    Returns
    -------
    numpy.ndarray
        ``numpy.bool_``: 2-D ``(rows, cols)`` for a PNG; 2-D or 3-D ``(frames, rows, cols)``
        for an ``.npy`` array.

    Raises
    ------
    InvalidArgumentError
        If the bytes are neither a readable PNG nor a usable ``.npy`` array.

    Examples
    --------
    >>> buffer = io.BytesIO(); np.save(buffer, np.eye(2))
    >>> read_mask(buffer.getvalue()).tolist()
    [[True, False], [False, True]]
    >>> rgba = np.zeros((2, 1, 4), np.uint8); rgba[0] = (255, 255, 255, 0); rgba[1] = (0, 0, 0, 255)
    >>> read_mask(encode_png(rgba)).astype(int).tolist()  # transparent white, opaque black
    [[0], [1]]
    """
    if data[:8] == PNG_SIGNATURE:
        return _png_mask(data)
    if data[:6] == _NPY_SIGNATURE:
        return _npy_mask(data)
    raise InvalidArgumentError("The mask file is neither a PNG image nor a NumPy .npy array.")


def encode_png(pixels: NDArray[np.uint8], compress_level: int = 1) -> bytes:
    r"""Encode a ``uint8`` array as PNG: grey ``(rows, cols)``, RGB or RGBA ``(rows, cols, 3|4)``.

    Lossless; ``compress_level`` is zlib's, 0 to 9 (:func:`overlay_core.files.png.png_bytes`).

    >>> encode_png(np.zeros((2, 2, 3), np.uint8))[:4]
    b'\x89PNG'
    """
    return png_bytes(pixels, compress_level)


def mask_png(mask: NDArray[np.bool_]) -> bytes:
    """Encode a mask as an 8-bit grey PNG, set pixels 255, others 0.

    A 3-D ``(frames, rows, cols)`` mask is stacked top to bottom into one image.

    >>> read_mask(mask_png(np.ones((2, 1, 3), bool))).shape
    (2, 3)
    """
    bits = np.asarray(mask, dtype=bool)
    return encode_png(bits.reshape(-1, bits.shape[-1]).astype(np.uint8) * 255, compress_level=6)
