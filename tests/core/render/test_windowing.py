"""Windowing against the formulas of PS3.3 C.11.2, written out here independently."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from overlay_core.errors import InvalidArgumentError
from overlay_core.render.windowing import (
    AUTOMATIC,
    VoiKind,
    automatic_window,
    default_voi,
    file_presets,
    grey_levels,
    is_inverted,
    manual_window,
    modality_values,
    voi_unit,
)


def linear_reference(x: float, c: float, w: float) -> float:
    """PS3.3 C.11.2.1.2.1, with output range 0..1, one value at a time."""
    if x <= c - 0.5 - (w - 1) / 2:
        return 0.0
    if x > c - 0.5 + (w - 1) / 2:
        return 1.0
    return (x - (c - 0.5)) / (w - 1) + 0.5


def test_file_presets_name_every_window_and_table():
    ds = Dataset()
    ds.WindowCenter = [40, "-600.5"]
    ds.WindowWidth = [400, 1500]
    lut = Dataset()
    lut.LUTDescriptor = [4, 0, 8]
    lut.LUTData = [0, 10, 20, 30]
    lut.LUTExplanation = "SOFT"
    ds.VOILUTSequence = [lut]
    presets = file_presets(ds)
    assert [p.name for p in presets] == [
        "File preset 1: C 40 / W 400",
        "File preset 2: C -600.5 / W 1500",
        "File VOI LUT 1: SOFT",
    ]
    assert [p.kind for p in presets] == [VoiKind.WINDOW, VoiKind.WINDOW, VoiKind.LUT]
    assert (presets[1].center, presets[1].width, presets[1].index) == (-600.5, 1500.0, 1)
    assert default_voi(ds) == presets[0]


def test_file_presets_skip_unusable_windows_and_keep_the_function():
    ds = Dataset()
    ds.WindowCenter = [40, 50]
    ds.WindowWidth = [0, 0.5]
    ds.VOILUTFunction = "LINEAR_EXACT"
    presets = file_presets(ds)
    assert [(p.index, p.function) for p in presets] == [(1, "LINEAR_EXACT")]
    assert presets[0].name == "File preset 2: C 50 / W 0.5 (linear_exact)"


def test_no_presets_means_automatic():
    assert file_presets(Dataset()) == []
    assert default_voi(Dataset()) is AUTOMATIC


@pytest.mark.parametrize(
    ("center", "width", "function", "message"),
    [
        (40, 0.9, "LINEAR", "at least 1 for a LINEAR window, not 0.9"),
        (40, 0, "SIGMOID", "above 0, not 0"),
        (40, 10, "CUBIC", 'must be one of LINEAR, LINEAR_EXACT, SIGMOID, not "CUBIC"'),
        (float("nan"), 10, "LINEAR", "finite"),
    ],
)
def test_manual_window_rejects_bad_values(center, width, function, message):
    with pytest.raises(InvalidArgumentError, match=message):
        manual_window(center, width, function)


@settings(max_examples=60, deadline=None)
@given(
    center=st.floats(-2000, 2000),
    width=st.floats(1, 5000),
    xs=st.lists(st.floats(-5000, 5000), min_size=1, max_size=20),
)
def test_linear_window_matches_the_standard(center, width, xs):
    got = voi_unit(np.array(xs), Dataset(), manual_window(center, width))
    want = [linear_reference(x, center, width) for x in xs]
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_linear_exact_and_sigmoid_match_the_standard():
    x = np.array([-100.0, 0.0, 25.0, 50.0, 75.0, 100.0, 200.0])
    exact = voi_unit(x, Dataset(), manual_window(50, 100, "LINEAR_EXACT"))
    np.testing.assert_allclose(exact, np.clip((x - 50) / 100 + 0.5, 0, 1), atol=1e-9)  # C.11.2.1.3.2
    sigmoid = voi_unit(x, Dataset(), manual_window(50, 100, "SIGMOID"))
    np.testing.assert_allclose(sigmoid, 1 / (1 + np.exp(-4 * (x - 50) / 100)), atol=1e-9)  # C.11.2.1.3.1


def voi_lut_dataset() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    item = Dataset()
    item.LUTDescriptor = [4, 10, 12]  # 4 entries, first mapped value 10, 12 bits
    item.LUTData = [0, 1000, 2000, 4095]
    ds.VOILUTSequence = [item]
    return ds


def test_voi_lut_table_maps_through_the_table():
    ds = voi_lut_dataset()
    (preset,) = file_presets(ds)
    got = voi_unit(np.array([0.0, 10, 11, 12, 13, 99]), ds, preset)
    np.testing.assert_allclose(got, np.array([0, 0, 1000, 2000, 4095, 4095]) / 4095)


def test_voi_lut_index_must_exist():
    ds = voi_lut_dataset()
    bad = file_presets(ds)[0].__class__(VoiKind.LUT, "x", index=3)
    with pytest.raises(InvalidArgumentError, match="there is no table 4"):
        voi_unit(np.zeros(2), ds, bad)
    with pytest.raises(InvalidArgumentError, match="automatic_window"):
        voi_unit(np.zeros(2), ds, AUTOMATIC)


def test_modality_rescale_and_table():
    ds = Dataset()
    ds.RescaleSlope = "0.5"
    ds.RescaleIntercept = "-100"
    np.testing.assert_allclose(modality_values(np.array([0, 10, -4]), ds), [-100, -95, -102])
    table = Dataset()
    table.file_meta = FileMetaDataset()
    table.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    item = Dataset()
    item.LUTDescriptor = [3, 0, 16]
    item.LUTData = [7, 70, 700]
    table.ModalityLUTSequence = [item]
    np.testing.assert_allclose(modality_values(np.array([0, 1, 2, 9]), table), [7, 70, 700, 700])


def test_automatic_window_spans_low_to_high():
    voi = automatic_window(-1000, 3000)
    got = voi_unit(np.array([-1000.0, 1000.0, 3000.0]), Dataset(), voi)
    np.testing.assert_allclose(got, [0, 0.5, 1])
    flat = automatic_window(5, 5)
    assert flat.width > 0


def test_grey_levels_and_inversion():
    unit = np.array([-1.0, 0.0, 0.25, 1.0, 2.0])
    assert grey_levels(unit, False).tolist() == [0, 0, 64, 255, 255]
    assert grey_levels(unit, True).tolist() == [255, 255, 191, 0, 0]
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    assert not is_inverted(ds)
    ds.PresentationLUTShape = "INVERSE"
    assert is_inverted(ds)
