"""Intensity-limited editing, interpolation between frames and statistics, against NumPy/SciPy."""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import pytest

from overlay_core.edit.apply import apply_mask
from overlay_core.edit.fill import fill
from overlay_core.edit.interpolate import interpolate
from overlay_core.edit.masking import IntensityRange, limited
from overlay_core.edit.stats import plane_statistics, with_statistics, write_roi_statistics
from overlay_core.errors import InvalidArgumentError
from overlay_core.planes.reading import read_plane, unpack_plane
from overlay_core.planes.writing import to_bytes
from tests import builders as b
from tests import tool_support as ts

# --------------------------------------------------------------------------- intensity range


@pytest.mark.parametrize("mode", ["draw", "erase", "replace"])
@pytest.mark.parametrize("look", [{}, {"slope": 2.0, "intercept": -1024.0, "monochrome1": True}])
def test_a_limited_stroke_changes_only_pixels_in_range(mode: str, look: dict[str, float]) -> None:
    ds = ts.small_plane(ts.image(ts.blocks(), **look))  # type: ignore[arg-type]
    before = ts.placed(ds, 0x6000)
    values = ts.modality(ds)
    low, high = np.percentile(values, [30, 70])
    stroke = np.zeros((ts.ROWS, ts.COLS), bool)
    stroke[2:30, 3:40] = True
    with limited(ds, 0x6000, IntensityRange(float(low), float(high))):
        apply_mask(ds, 0x6000, stroke, mode, "image", frame=0)
    unlimited = deepcopy(ds)
    apply_mask(unlimited, 0x6000, stroke, mode, "image", frame=0)
    inside = (values >= low) & (values <= high)
    after = ts.placed(ds, 0x6000)
    assert (after[~inside] == before[~inside]).all()
    assert (after[inside] == ts.placed(unlimited, 0x6000)[inside]).all()
    assert (after != before).any()


def test_a_limited_fill_and_a_limited_plane_on_several_frames() -> None:
    ds = ts.small_plane(ts.image(ts.blocks(frames=3)), frames=2, image_frame_origin=2, origin=(1, 1))
    before = ts.placed(ds, 0x6000, 2)
    with limited(ds, 0x6000, IntensityRange(0, 1500)):
        fill(ds, 0x6000, (22, 5), frame=2)  # the band is 2000: nothing of it is in range
    assert (ts.placed(ds, 0x6000, 2) == before).all()


def test_the_shown_frame_decides_for_a_plane_on_every_frame() -> None:
    values = ts.blocks(frames=3)
    values[2, 5:20, 8:30] = 3000  # frame 3 has another value in the block
    ds = ts.image(values)
    b.add_plane(ds, 0x6000, np.zeros((ts.ROWS, ts.COLS), bool))  # no frame attributes: on every frame
    stroke = np.zeros((ts.ROWS, ts.COLS), bool)
    stroke[5:20, 8:30] = True
    with limited(ds, 0x6000, IntensityRange(2990, 3010), image_frame=2):
        apply_mask(ds, 0x6000, stroke, "draw", "image", frame=0)
    shown = ts.modality(ds, 2)
    assert (ts.placed(ds, 0x6000, 0) == (stroke & (shown >= 2990) & (shown <= 3010))).all()
    assert ts.placed(ds, 0x6000, 0)[5:20, 8:30].all()


def test_a_range_is_checked_and_parsed() -> None:
    assert IntensityRange.parse("-100,300") == IntensityRange(-100, 300)
    with pytest.raises(InvalidArgumentError, match="low <= high"):
        IntensityRange(5, 1)
    with pytest.raises(InvalidArgumentError, match="not an intensity range"):
        IntensityRange.parse("a,b")


def test_a_colour_image_refuses_a_range_before_anything_changes() -> None:
    ds = ts.small_plane(ts.image(ts.blocks()))
    ds.PhotometricInterpretation, ds.SamplesPerPixel = "RGB", 3
    data = to_bytes(ds)
    with pytest.raises(Exception, match=r"colour|cannot"), limited(ds, 0x6000, IntensityRange(0, 1)):
        apply_mask(ds, 0x6000, np.ones((ts.ROWS, ts.COLS)), "draw", "image")
    assert to_bytes(ds) == data


# --------------------------------------------------------------------------- interpolation


def disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    yy, xx = np.ogrid[: shape[0], : shape[1]]
    return np.asarray((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2)


def test_interpolation_fills_only_the_empty_frames_between_keys() -> None:
    shape = (64, 64)
    frames = np.zeros((8, *shape), bool)
    frames[1] = disc(shape, (20, 20), 8)
    frames[6] = disc(shape, (40, 45), 14)
    frames[7] = disc(shape, (5, 5), 3)  # a key right after: no gap, nothing written there
    ds = ts.image(np.zeros((10, *shape), np.uint16))
    b.add_plane(ds, 0x6000, frames, origin=(1, 1), frames_attr=8, image_frame_origin=3)
    plane, written = interpolate(ds, 0x6000)
    assert written == [2, 3, 4, 5]
    assert (plane.frames, plane.image_frame_origin) == (8, 3)
    bits = unpack_plane(ds, 0x6000)[1]
    for k in (0, 1, 6, 7):
        assert (bits[k] == frames[k]).all()
    for k in written:
        t = (k - 1) / 5
        truth = disc(shape, (20 + 20 * t, 20 + 25 * t), 8 + 6 * t)
        dice = 2 * (bits[k] & truth).sum() / (bits[k].sum() + truth.sum())
        assert dice > 0.95, (k, dice)


def test_interpolation_between_chosen_keys_and_its_errors() -> None:
    shape = (32, 32)
    frames = np.zeros((6, *shape), bool)
    frames[0], frames[3] = disc(shape, (10, 10), 4), disc(shape, (16, 16), 6)
    frames[5] = disc(shape, (20, 20), 5)
    ds = ts.image(np.zeros((6, *shape), np.uint16))
    b.add_plane(ds, 0x6000, frames, frames_attr=6, image_frame_origin=1)
    data = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="must be a frame with set pixels"):
        interpolate(ds, 0x6000, 1, 3)
    assert to_bytes(ds) == data
    _, written = interpolate(ds, 0x6000, 3, 5)
    assert written == [4]
    with pytest.raises(InvalidArgumentError, match="no empty frame between two key frames"):
        interpolate(ds, 0x6000, 3, 5)


# --------------------------------------------------------------------------- statistics


@pytest.mark.parametrize("look", [{}, {"slope": 2.0, "intercept": -1024.0, "monochrome1": True}])
def test_statistics_are_the_values_under_the_placed_plane(look: dict[str, float]) -> None:
    ds = ts.small_plane(ts.image(ts.blocks(), spacing=(0.5, 0.8), **look))  # type: ignore[arg-type]
    mask, values = ts.placed(ds, 0x6000), ts.modality(ds)
    stats = plane_statistics(ds, 0x6000)
    only = stats.frames[0]
    rows, cols = np.nonzero(mask)
    assert only.set_pixels == mask.sum() == stats.total.set_pixels
    assert only.area_mm2 == pytest.approx(mask.sum() * 0.4)
    assert only.bounding_box == (rows.min() + 1, cols.min() + 1, rows.max() + 1, cols.max() + 1)
    assert only.mean == pytest.approx(values[mask].mean())
    assert only.sd == pytest.approx(values[mask].std())
    assert (only.minimum, only.maximum) == (values[mask].min(), values[mask].max())


def test_statistics_per_frame_of_a_frame_specific_plane() -> None:
    ds = ts.small_plane(ts.image(ts.blocks(frames=4), slope=3.0), frames=2, image_frame_origin=3,
                        origin=(5, 5))
    stats = plane_statistics(ds, 0x6000)
    assert [s.frame for s in stats.frames] == [3, 4] and stats.spacing is None
    pooled = []
    for s in stats.frames:
        mask, values = ts.placed(ds, 0x6000, s.frame - 1), ts.modality(ds, s.frame - 1)
        assert s.mean == pytest.approx(values[mask].mean()) and s.area_mm2 is None
        pooled.append(values[mask])
    assert stats.total.mean == pytest.approx(np.concatenate(pooled).mean())
    assert stats.total.sd == pytest.approx(np.concatenate(pooled).std())
    with pytest.raises(InvalidArgumentError, match="no frame on image frame 1"):
        plane_statistics(ds, 0x6000, 0)


def test_roi_statistics_are_written_for_type_r_only() -> None:
    ds = ts.image(ts.blocks(), slope=2.0)
    mask = np.zeros((ts.ROWS, ts.COLS), bool)
    mask[6:12, 9:20] = True
    b.add_plane(ds, 0x6000, mask, overlay_type="R")
    b.add_plane(ds, 0x6002, mask, overlay_type="G")
    plane = write_roi_statistics(ds, 0x6000)
    values = ts.modality(ds)[mask]
    assert plane.roi_area == mask.sum()
    assert plane.roi_mean == pytest.approx(values.mean(), rel=1e-5)
    assert plane.roi_standard_deviation == pytest.approx(values.std(), abs=1e-4)
    with pytest.raises(InvalidArgumentError, match="Type G; ROI statistics belong to Type R"):
        write_roi_statistics(ds, 0x6002)
    assert read_plane(ds, 0x6002).roi_area is None


def test_info_document_gets_statistics() -> None:
    from overlay_core.audit.summary import info_document

    ds = ts.small_plane(ts.image(ts.blocks()))
    doc = with_statistics(info_document(ds, "x.dcm"), ds)
    assert doc["overlays"][0]["statistics"]["total"]["set_pixels"] == ts.placed(ds, 0x6000).sum()
