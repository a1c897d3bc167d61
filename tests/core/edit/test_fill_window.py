"""Fill's windowed labelling, the frame reader and statistics read by box, against whole-image SciPy/NumPy.

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
from pydicom.pixels import apply_modality_lut
from scipy import ndimage
from skimage.segmentation import flood

from overlay_core.audit.summary import info_document
from overlay_core.edit.fill import fill, grow
from overlay_core.edit.masking import IntensityRange, limited
from overlay_core.edit.stats import LastFrame, plane_statistics, with_statistics
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
    flags = rng.random((1100, 900)) < density  # near the percolation threshold: huge, ragged pieces
    structure = ndimage.generate_binary_structure(2, 1 if connectivity == 4 else 2)
    for seed in [(550, 450), (0, 0), (1099, 899), (3, 800)]:
        flags[seed] = True
        labels, _ = ndimage.label(flags, structure)
        region = grow(lambda r, c: flags[r, c], flags.shape, seed, connectivity).on(flags.shape)
        assert (region == (labels == labels[seed])).all()


def _rescaled(dtype: str, bits: int, signed: bool, slope: float = 0.37) -> Dataset:
    ds = b.image_dataset(30, 40, bits_allocated=bits, bits_stored=bits)
    ds.PixelRepresentation = int(signed)
    rng = np.random.default_rng(bits)
    info = np.iinfo(dtype)
    ds.PixelData = rng.integers(info.min, info.max, size=(30, 40), endpoint=True).astype(dtype).tobytes()
    ds.RescaleSlope, ds.RescaleIntercept = slope, -1024.5
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
    pytest.param(_rescaled("<i2", 16, True, slope=-0.37), id="int16-negative-slope"),
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
    assert np.array_equal(reader.within(whole.min(), whole.min()), whole == whole.min())
    assert not reader.within(whole.max() + 1, whole.max() + 2).any()
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


# --------------------------------------------------------------------------- statistics read by box


def _placed_by_hand(bits: np.ndarray, origin: tuple[int, int], rows: int, cols: int) -> np.ndarray:
    out = np.zeros((rows, cols), bool)
    r0, c0 = origin[0] - 1, origin[1] - 1
    for (r, c) in zip(*np.nonzero(bits), strict=True):
        if 0 <= r + r0 < rows and 0 <= c + c0 < cols:
            out[r + r0, c + c0] = True
    return out


@pytest.mark.parametrize("make", [
    pytest.param(lambda: _rescaled("<u1", 8, False), id="uint8"),
    pytest.param(lambda: _rescaled("<i2", 16, True), id="int16"),
    pytest.param(lambda: _rescaled("<i4", 32, True), id="int32-no-table"),
    pytest.param(_lut_sequence, id="modality-lut-sequence"),
])
@pytest.mark.parametrize("origin", [(-4, 7), (12, -9), (25, 33)])
def test_statistics_by_box_are_numpys_under_the_placed_plane(make: object, origin: tuple[int, int]) -> None:
    ds = make()  # type: ignore[operator]
    bits = b.random_mask((1, 14, 16), seed=origin[0] + 20, density=0.4)
    b.add_plane(ds, 0x6000, bits, origin=origin)
    mask = _placed_by_hand(bits[0], origin, 30, 40)
    values = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)[mask]  # pydicom alone
    only = plane_statistics(ds, 0x6000).frames[0]
    rows, cols = np.nonzero(mask)
    assert only.set_pixels == mask.sum() > 0
    assert only.bounding_box == (rows.min() + 1, cols.min() + 1, rows.max() + 1, cols.max() + 1)
    assert (only.minimum, only.maximum) == (values.min(), values.max())
    assert only.mean == pytest.approx(values.mean(), rel=1e-12)
    assert only.sd == pytest.approx(values.std(), rel=1e-6)


def test_statistics_of_a_plane_off_the_image_or_empty_on_it() -> None:
    ds = _rescaled("<u2", 16, False)
    b.add_plane(ds, 0x6000, np.ones((1, 5, 5), bool), origin=(-10, 1))  # wholly above the image
    bits = np.zeros((1, 50, 60), bool)
    bits[0, 0, 0] = True  # its only pixel is off the image (origin 0\0)
    b.add_plane(ds, 0x6002, bits, origin=(0, 0))
    for group in (0x6000, 0x6002):
        only = plane_statistics(ds, group).frames[0]
        assert (only.set_pixels, only.bounding_box, only.mean, only.minimum) == (0, None, None, None)


def test_statistics_of_a_plane_taller_than_a_counting_band() -> None:
    ds = b.image_dataset(700, 90, bits_allocated=16, bits_stored=16)
    ds.PixelData = np.random.default_rng(8).integers(0, 65535, size=(700, 90)).astype("<u2").tobytes()
    ds.RescaleSlope, ds.RescaleIntercept = 1.5, -30000.0
    bits = b.random_mask((1, 690, 80), seed=6, density=0.6)
    b.add_plane(ds, 0x6000, bits, origin=(5, 3))
    mask = _placed_by_hand(bits[0], (5, 3), 700, 90)
    values = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)[mask]
    only = plane_statistics(ds, 0x6000).frames[0]
    assert only.set_pixels == values.size and (only.minimum, only.maximum) == (values.min(), values.max())
    assert only.mean == pytest.approx(values.mean(), rel=1e-12)
    assert only.sd == pytest.approx(values.std(), rel=1e-6)


def test_info_statistics_share_a_frame_and_equal_each_planes_own() -> None:
    ds = ts.image(ts.blocks(frames=3), slope=2.0, intercept=-1024.0, spacing=(0.5, 0.5))
    b.add_plane(ds, 0x6000, b.random_mask((2, 30, 30), seed=1), origin=(-5, 4), frames_attr=2,
                image_frame_origin=2)
    b.add_plane(ds, 0x6002, b.random_mask((1, ts.ROWS, ts.COLS), seed=2))  # on every frame
    b.add_plane(ds, 0x6004, b.random_mask((1, 8, 9), seed=3), origin=(30, 40))
    doc = with_statistics(info_document(ds, "x.dcm"), ds)
    for plane in doc["overlays"]:
        own = plane_statistics(ds, int(plane["group"], 16)).document()
        assert plane["statistics"] == own and own["total"]["mean"] is not None


def test_a_frame_that_cannot_be_read_gives_every_plane_the_reason() -> None:
    ds = ts.image(ts.blocks())
    ds.PhotometricInterpretation, ds.SamplesPerPixel = "RGB", 3
    b.add_plane(ds, 0x6000, b.random_mask((1, ts.ROWS, ts.COLS), seed=1))
    b.add_plane(ds, 0x6002, b.random_mask((1, ts.ROWS, ts.COLS), seed=2))
    frames = LastFrame(ds)
    for group in (0x6000, 0x6002):
        stats = plane_statistics(ds, group, frames=frames)
        assert stats.values_note and stats.total.mean is None and stats.total.set_pixels > 0
    assert with_statistics(info_document(ds, "x.dcm"), ds)["overlays"][1]["statistics"]["values_note"]
