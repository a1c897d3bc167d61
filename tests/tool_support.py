"""Images for the tool tests: designed pixel values, rescaled and MONOCHROME1 variants, planes placed oddly.

The expected results are computed here with scikit-image, SciPy and NumPy from pydicom's own
``pixel_array`` and the Rescale Slope/Intercept, never with :mod:`overlay_core`'s readers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from tests import builders as b

ROWS, COLS = 40, 50


def blocks(rows: int = ROWS, cols: int = COLS, frames: int = 1, seed: int = 3) -> NDArray[np.uint16]:
    """Stored values with uniform blocks (for fills) on a noisy background, ``(frames, rows, cols)``."""
    rng = np.random.default_rng(seed)
    out = rng.integers(0, 4000, size=(frames, rows, cols)).astype(np.uint16)
    for f in range(frames):
        out[f, 5:20, 8:30] = 1000 + f          # a uniform block the plane partly covers
        out[f, 25:35, 10:20] = 1003 + f        # a near value, not connected
        out[f, 22:24, :] = 2000                # a uniform band across the image
    return out


def image(values: NDArray[np.uint16], *, slope: float = 1.0, intercept: float = 0.0,
          monochrome1: bool = False, spacing: tuple[float, float] | None = None) -> Dataset:
    """A 16-bit image holding ``values`` (stored), optionally rescaled, inverted and with Pixel Spacing."""
    frames, rows, cols = values.shape
    ds = b.image_dataset(rows, cols, frames=frames)
    ds.PixelData = values.astype("<u2").tobytes()
    if slope != 1.0 or intercept != 0.0:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if monochrome1:
        ds.PhotometricInterpretation = "MONOCHROME1"
    if spacing is not None:
        ds.PixelSpacing = list(spacing)
    return ds


def modality(ds: Dataset, frame: int = 0) -> NDArray[np.float64]:
    """The image's values with slope and intercept applied, by pydicom and NumPy alone."""
    arr = ds.pixel_array
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        arr = arr[frame]
    return arr.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))


def placed(ds: Dataset, group: int, image_frame: int = 0) -> NDArray[np.bool_]:
    """The plane's frame on an image frame, placed by hand from its raw elements."""
    t = group << 16
    rows, cols = int(ds[t | 0x0010].value), int(ds[t | 0x0011].value)
    frames = int(ds[t | 0x0015].value) if (t | 0x0015) in ds else 1
    first = int(ds[t | 0x0051].value) if (t | 0x0051) in ds else None
    origin = [int(v) for v in ds[t | 0x0050].value]
    raw = np.frombuffer(bytes(ds[t | 0x3000].value), np.uint8)
    bits = np.unpackbits(raw, bitorder="little")[: frames * rows * cols].reshape(frames, rows, cols)
    k = 0 if first is None else image_frame - (first - 1)
    out = np.zeros((int(ds.Rows), int(ds.Columns)), bool)
    if not 0 <= k < frames:
        return out
    for r in range(rows):
        for c in range(cols):
            ir, ic = origin[0] - 1 + r, origin[1] - 1 + c
            if bits[k, r, c] and 0 <= ir < ds.Rows and 0 <= ic < ds.Columns:
                out[ir, ic] = True
    return out


def small_plane(ds: Dataset, origin: tuple[int, int] = (-4, -6), shape: tuple[int, int] = (20, 30),
                seed: int = 5, group: int = 0x6000, frames: int | None = None,
                image_frame_origin: int | None = None) -> Dataset:
    """Add a random plane smaller than the image, by default with a negative origin."""
    mask = b.random_mask((frames or 1, *shape), seed=seed, density=0.25)
    return b.add_plane(ds, group, mask, origin=origin, frames_attr=frames,
                       image_frame_origin=image_frame_origin)
