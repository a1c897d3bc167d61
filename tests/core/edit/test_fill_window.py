"""Fill's windowed labelling and the frame reader it uses, against whole-image SciPy and scikit-image.

The tool tests (``test_tools.py``) use images smaller than the first window; here the
regions are large and winding, so the window must grow on every side, and the frame reader
(:class:`overlay_core.render.pixels.FrameValues`) must give exactly what
:func:`overlay_core.render.pixels.modality_frame` gives for every kind of stored value.
"""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import pytest
from pydicom.dataset import Dataset
from scipy import ndimage
from skimage.segmentation import flood

from overlay_core.edit.fill import fill, grow
from overlay_core.edit.masking import IntensityRange, limited
from overlay_core.errors import UnsupportedError
from overlay_core.render.pixels import frame_values, modality_frame
from tests import builders as b
from tests import tool_support as ts


def winding(rows: int, cols: int) -> np.ndarray:
    """Stored values: noise of 0-15 with a one-pixel value-7 serpentine path through the whole image."""
    rng = np.random.default_rng(5)
    out = rng.integers(0, 16, size=(rows, cols)).astype(np.uint16)
    out[out == 7] = 8  # only the path (and nothing by chance) has value 7
    out[::40, 2:-2] = 7
    for k, r in enumerate(range(0, rows - 40, 40)):  # join the lines at alternate ends
        out[r:r + 41, 2 if k % 2 else cols - 3] = 7
    return out


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("seed", [(600, 700), (0, 5), (1160, 1297)])  # all on the path
def test_fill_follows_a_region_winding_through_a_large_image(connectivity: int,
                                                             seed: tuple[int, int]) -> None:
    values = winding(1200, 1300)
    ds = ts.image(values[None], slope=2.0, intercept=-1024.0)
    b.add_plane(ds, 0x6000, np.zeros((1200, 1300), bool))
    expected = flood(ts.modality(ds), seed, tolerance=0.0, connectivity=connectivity // 4)
    assert expected.sum() > 40_000  # the path spans the image: the window grew on every side
    fill(ds, 0x6000, seed, tolerance=0.0, connectivity=connectivity)
    assert (ts.placed(ds, 0x6000) == expected).all()


@pytest.mark.parametrize("density", [0.45, 0.59, 0.7])
@pytest.mark.parametrize("connectivity", [4, 8])
def test_grow_is_the_seeds_label_of_the_whole_image(density: float, connectivity: int) -> None:
    rng = np.random.default_rng(int(density * 100) + connectivity)
    flags = rng.random((1500, 1100)) < density  # near the percolation threshold: huge, ragged pieces
    structure = ndimage.generate_binary_structure(2, 1 if connectivity == 4 else 2)
    for seed in [(750, 550), (0, 0), (1499, 1099), (3, 1000)]:
        flags[seed] = True
        labels, _ = ndimage.label(flags, structure)
        region = grow(lambda r, c: flags[r, c], flags.shape, seed, connectivity)
        assert (region == (labels == labels[seed])).all()


def _rescaled(dtype: str, bits: int, signed: bool) -> Dataset:
    ds = b.image_dataset(30, 40, bits_allocated=bits, bits_stored=bits)
    ds.PixelRepresentation = int(signed)
    rng = np.random.default_rng(bits)
    info = np.iinfo(dtype)
    ds.PixelData = rng.integers(info.min, info.max, size=(30, 40), endpoint=True).astype(dtype).tobytes()
    ds.RescaleSlope, ds.RescaleIntercept = 0.37, -1024.5
    return ds


def _lut_sequence() -> Dataset:
    ds = b.image_dataset(30, 40, bits_allocated=16, bits_stored=12)
    item = Dataset()
    item.LUTDescriptor = [256, 0, 16]
    item.LUTData = [(i * 37) % 4096 for i in range(256)]
    ds.ModalityLUTSequence = [item]
    return ds


@pytest.mark.parametrize("ds", [
    pytest.param(_rescaled("<u1", 8, False), id="uint8"),
    pytest.param(_rescaled("<u2", 16, False), id="uint16"),
    pytest.param(_rescaled("<i2", 16, True), id="int16"),
    pytest.param(_rescaled("<u4", 32, False), id="uint32-no-table"),
    pytest.param(_rescaled("<i4", 32, True), id="int32-no-table"),
    pytest.param(_lut_sequence(), id="modality-lut-sequence"),
])
def test_the_frame_reader_gives_modality_frame_exactly(ds: Dataset) -> None:
    reader = frame_values(ds, 0)
    whole = modality_frame(ds, 0)
    assert (reader.table is None) == (ds.BitsAllocated == 32)
    assert np.array_equal(reader.values(), whole)
    assert np.array_equal(reader.values(slice(3, 9), slice(10, 31)), whole[3:9, 10:31])
    low, high = np.quantile(whole, [0.3, 0.6])
    assert np.array_equal(reader.within(low, high), (whole >= low) & (whole <= high))
    chosen = IntensityRange(low, high)
    assert np.array_equal(chosen.of_frame(reader), chosen.contains(whole))


def test_the_frame_reader_refuses_an_unusable_modality_lut() -> None:
    ds = b.image_dataset(4, 5)
    item = Dataset()
    item.add_new(0x00283002, "US", [4, 0, 16])  # LUT Descriptor: 4 entries of 16 bits...
    item.add_new(0x00283006, "US", [1, 2])  # ...but LUT Data holds 2
    ds.ModalityLUTSequence = [item]
    with pytest.raises(UnsupportedError, match="Modality LUT is unusable"):
        frame_values(ds, 0)


def test_a_limited_fill_reuses_the_frame_the_range_read() -> None:
    ds = ts.small_plane(ts.image(ts.blocks(frames=3), slope=2.0, intercept=-1024.0), frames=2,
                        image_frame_origin=2, origin=(1, 1))
    again, before = deepcopy(ds), ts.placed(ds, 0x6000, 2)
    with limited(ds, 0x6000, IntensityRange(900, 3000), image_frame=2) as values:
        assert values is not None and values.frame == 2
        fill(ds, 0x6000, (10, 10), frame=2, tolerance=4.0, values=values)
    with limited(again, 0x6000, IntensityRange(900, 3000), image_frame=2):
        fill(again, 0x6000, (10, 10), frame=2, tolerance=4.0)
    assert (ts.placed(ds, 0x6000, 2) == ts.placed(again, 0x6000, 2)).all()
    shown = ts.modality(ds, 2)
    region = flood(shown, (10, 10), tolerance=4.0, connectivity=1)
    expected = np.where((shown >= 900) & (shown <= 3000), before | region, before)
    assert (ts.placed(ds, 0x6000, 2) == expected).all() and (expected != before).any()
