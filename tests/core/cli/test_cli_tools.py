"""The tool commands (fill, islands, margin, morph, logic, interpolate, stats, compare, apply --within)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from scipy import ndimage
from skimage.morphology import disk
from skimage.segmentation import flood

from overlay_core.cli.main import main
from tests import builders as b
from tests import tool_support as ts


def call(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(args)
    except SystemExit as exc:
        status = int(exc.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture
def source(tmp_path: Path) -> Path:
    ds = ts.small_plane(ts.image(ts.blocks(), slope=2.0, intercept=-1024.0, spacing=(0.5, 0.5)))
    ts.small_plane(ds, group=0x6002, origin=(6, 4), seed=21)
    path = tmp_path / "in.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    return path


def read(path: Path) -> pydicom.Dataset:
    return pydicom.dcmread(path)


def test_fill_writes_the_flood_region(source: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.dcm"
    status, text, err = call(["fill", str(source), "--group", "6000", "--seed", "11,11", "--tolerance", "0",
                              "--out", str(out)], capsys)
    assert status == 0, err
    assert "Filled a region of group 6000" in text
    ds = read(source)
    expected = ts.placed(ds, 0x6000) | flood(ts.modality(ds), (10, 10), tolerance=0, connectivity=1)
    assert (ts.placed(read(out), 0x6000) == expected).all()


@pytest.mark.parametrize(("args", "message"), [
    (["fill", "--group", "6000", "--seed", "41,1", "--tolerance", "0"], "outside the image: rows 1 to 40"),
    (["fill", "--group", "6000", "--seed", "1,1", "--tolerance", "0", "--frame", "2"], "Frame 2 does not"),
    (["fill", "--group", "6004", "--seed", "1,1", "--tolerance", "0"], "no overlay plane in group 6004"),
    (["fill", "--group", "6000", "--seed", "x", "--tolerance", "0"], "is not a seed"),
    (["islands", "--group", "6000", "--min-size", "100000"], "leaves no set pixel"),
    (["margin", "--group", "6000", "--shrink", "40"], "leaves no set pixel"),
    (["margin", "--group", "6000", "--grow", "-1"], "greater than 0"),
    (["logic", "--op", "intersect", "--a", "6000", "--b", "6006"], "no overlay plane in group 6006"),
    (["interpolate", "--group", "6000"], "needs at least 3"),
    (["stats", "--group", "6000", "--write-roi", "--out", "x.dcm"], "Type G; ROI statistics belong"),
    (["stats", "--group", "6000", "--write-roi"], "--write-roi needs --out"),
    (["apply", "--group", "6000", "--mask", "m.npy", "--within", "3"], "not an intensity range"),
])
def test_bad_input_is_one_sentence_exit_2_and_nothing_written(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    np.save(tmp_path / "m.npy", np.ones((20, 30), np.uint8))
    out = tmp_path / "x.dcm"
    command = [args[0], str(source), *args[1:]]
    if "--out" not in command and args[0] not in ("stats", "compare"):
        command += ["--out", str(out)]
    command = [str(tmp_path / a) if a in ("m.npy", "x.dcm") else a for a in command]
    status, _, err = call(command, capsys)
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_mm_margin_without_spacing_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.dcm"
    path.write_bytes(b.to_file_bytes(ts.small_plane(ts.image(ts.blocks()))))
    status, _, err = call(["margin", str(path), "--group", "6000", "--grow", "2", "--mm",
                           "--out", str(tmp_path / "o.dcm")], capsys)
    assert status == 2 and "no usable Pixel Spacing" in err and not (tmp_path / "o.dcm").exists()


def test_the_input_is_never_overwritten(source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = source.read_bytes()
    status, _, err = call(["morph", str(source), "--group", "6000", "--op", "close", "--out", str(source)],
                          capsys)
    assert status == 2 and "Refusing to overwrite the input file" in err
    assert source.read_bytes() == data


def test_islands_margin_morph_logic(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = read(source)
    a, b_ = ts.placed(ds, 0x6000), ts.placed(ds, 0x6002)
    runs = {
        "islands": (["--group", "6000", "--min-size", "3"], 0x6000, None),
        "margin": (["--group", "6000", "--grow", "1.5", "--mm"], 0x6000,
                   ndimage.binary_dilation(a, disk(3))),
        "morph": (["--group", "6000", "--op", "fill-holes"], 0x6000, ndimage.binary_fill_holes(a)),
        "logic": (["--op", "xor", "--a", "6000", "--b", "6002", "--into", "600A"], 0x600A, a ^ b_),
    }
    for name, (args, group, expected) in runs.items():
        out = tmp_path / f"{name}.dcm"
        status, _, err = call([name, str(source), *args, "--out", str(out)], capsys)
        assert status == 0, err
        if expected is not None:
            assert (ts.placed(read(out), group) == expected).all(), name


def test_interpolate_between_image_frames(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = np.zeros((5, 30, 30), bool)
    frames[0, 5:10, 5:10] = frames[4, 15:25, 15:25] = True
    ds = ts.image(np.zeros((7, 30, 30), np.uint16))
    b.add_plane(ds, 0x6000, frames, frames_attr=5, image_frame_origin=3)
    path, out = tmp_path / "multi.dcm", tmp_path / "filled.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    status, text, err = call(["interpolate", str(path), "--group", "6000", "--from", "3", "--to", "7",
                              "--out", str(out)], capsys)
    assert status == 0, err
    assert "image frames 4, 5, 6" in text
    assert all(ts.placed(read(out), 0x6000, f).any() for f in range(2, 7))
    status, _, err = call(["interpolate", str(path), "--group", "6000", "--from", "1", "--to", "7",
                           "--out", str(tmp_path / "no.dcm")], capsys)
    assert status == 2 and "not one of overlay group 6000's frames" in err


def test_stats_compare_and_info_json(source: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    ds = read(source)
    mask, values = ts.placed(ds, 0x6000), ts.modality(ds)
    status, text, _ = call(["stats", str(source), "--group", "6000", "--json"], capsys)
    doc = json.loads(text)
    assert status == 0 and doc["total"]["set_pixels"] == mask.sum()
    assert doc["total"]["mean"] == pytest.approx(values[mask].mean())
    assert doc["total"]["area_mm2"] == pytest.approx(mask.sum() * 0.25)
    status, text, _ = call(["stats", str(source), "--group", "6000"], capsys)
    assert status == 0 and f"{mask.sum()} pixels set" in text
    status, text, _ = call(["compare", str(source), "--a", "6000", "--b", "6002", "--json"], capsys)
    a, b_ = mask, ts.placed(ds, 0x6002)
    assert json.loads(text)["dice"] == pytest.approx(2 * (a & b_).sum() / (a.sum() + b_.sum()))
    status, text, _ = call(["info", str(source), "--json"], capsys)
    assert json.loads(text)["overlays"][1]["statistics"]["total"]["set_pixels"] == b_.sum()


def test_stats_write_roi_into_a_type_r_plane(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = ts.image(ts.blocks())
    mask = np.zeros((ts.ROWS, ts.COLS), bool)
    mask[5:9, 5:9] = True
    b.add_plane(ds, 0x6000, mask, overlay_type="R")
    path, out = tmp_path / "roi.dcm", tmp_path / "roi_out.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    status, _, err = call(["stats", str(path), "--group", "6000", "--write-roi", "--out", str(out)], capsys)
    assert status == 0, err
    written = read(out)
    assert int(written[0x60001301].value) == 16
    assert float(written[0x60001302].value) == pytest.approx(ts.modality(ds)[mask].mean(), rel=1e-5)


def test_apply_within_limits_the_mask_to_the_range(source: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ds = read(source)
    values, before = ts.modality(ds), ts.placed(ds, 0x6000)
    np.save(tmp_path / "all.npy", np.ones((ts.ROWS, ts.COLS), np.uint8))
    out = tmp_path / "within.dcm"
    status, _, err = call(["apply", str(source), "--group", "6000", "--mask", str(tmp_path / "all.npy"),
                           "--space", "image", "--mode", "draw", "--within", "0,2000", "--out", str(out)],
                          capsys)
    assert status == 0, err
    inside = (values >= 0) & (values <= 2000)
    inside[15:, :] = inside[:, 23:] = False  # only the plane changes: image rows 1-15, columns 1-23
    after = ts.placed(read(out), 0x6000)
    assert (after == (before | inside)).all()


def test_the_parser_names_every_operator_of_the_core() -> None:
    from overlay_core.cli.tools import LOGIC_OPS, MORPH_OPS
    from overlay_core.edit.logic import LogicOp
    from overlay_core.edit.margin import MorphOp

    assert MORPH_OPS == tuple(op.value for op in MorphOp)
    assert LOGIC_OPS == tuple(op.value for op in LogicOp)
