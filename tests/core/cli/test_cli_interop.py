"""The interoperability commands of the CLI, in process: export-seg, import-seg, export-gsps, export-sc."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from overlay_core.cli.main import main
from overlay_core.interop.gsps import state_planes
from overlay_core.interop.seg import read_segments
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, read_planes
from overlay_core.render.compose import render
from tests import builders as b


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, build in (("two", b.two_plane_file), ("multi", b.multiframe_file), ("other", b.two_plane_file),
                        ("pr", b.presentation_state_file)):
        out[name] = tmp_path / f"{name}.dcm"
        out[name].write_bytes(build()[0])
    out["text"] = tmp_path / "notes.txt"
    out["text"].write_text("not DICOM\n")
    return out


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def test_seg_out_and_back(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seg = tmp_path / "seg.dcm"
    assert "2 segment(s)" in ok(capsys, "export-seg", str(files["two"]), "--out", str(seg))
    one = tmp_path / "one.dcm"
    ok(capsys, "export-seg", str(files["two"]), "--out", str(one), "--group", "6002")
    assert [s.label for s in read_segments(load(one.read_bytes()))] == ["SECOND"]
    out = tmp_path / "imported.dcm"
    text = ok(capsys, "import-seg", str(files["two"]), "--seg", str(seg), "--out", str(out),
              "--segment", "2", "--crop", "--new-uid")
    assert "group(s) 6004" in text
    source, result = load(files["two"].read_bytes()), load(out.read_bytes())
    assert result.SOPInstanceUID != source.SOPInstanceUID
    assert np.array_equal(image_mask(result, 0x6004), image_mask(source, 0x6002))
    assert read_planes(result)[2].origin == read_planes(source)[1].origin  # cropped back to the same place


def test_gsps_and_sc(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "ps.dcm"
    ok(capsys, "export-gsps", str(files["multi"]), "--out", str(state), "--frame", "3")
    source = load(files["multi"].read_bytes())
    (shown,) = state_planes(load(state.read_bytes()), source)
    assert np.array_equal(shown.mask[2], image_mask(source, 0x6000)[2]) and not shown.mask[[0, 1, 3]].any()
    sc = tmp_path / "sc.dcm"
    ok(capsys, "export-sc", str(files["multi"]), "--out", str(sc), "--frame", "3")
    assert np.array_equal(load(sc.read_bytes()).pixel_array, render(source, frame=2).image)


@pytest.mark.parametrize(("args", "message"), [
    (["export-seg", "{text}", "--out", "{tmp}/s.dcm"], "not a DICOM file"),
    (["export-seg", "{two}", "--out", "{two}"], "Refusing to overwrite the input file"),
    (["export-seg", "{pr}", "--out", "{tmp}/s.dcm"], "no image"),
    (["export-seg", "{two}", "--out", "{tmp}/s.dcm", "--group", "6008"], "group 6008"),
    (["import-seg", "{other}", "--seg", "{tmp}/seg.dcm", "--out", "{tmp}/x.dcm"],
     "does not reference this image"),
    (["import-seg", "{two}", "--seg", "{two}", "--out", "{tmp}/x.dcm"], "not a DICOM Segmentation"),
    (["import-seg", "{two}", "--seg", "{tmp}/seg.dcm", "--out", "{tmp}/x.dcm", "--segment", "9"],
     "no segment 9"),
    (["import-seg", "{two}", "--seg", "{tmp}/missing.dcm", "--out", "{tmp}/x.dcm"], "does not exist"),
    (["export-gsps", "{multi}", "--out", "{tmp}/p.dcm"], "differs between image frames"),
    (["export-gsps", "{multi}", "--out", "{tmp}/p.dcm", "--frame", "0"], "Frame 0 does not exist"),
    (["export-sc", "{two}", "--out", "{tmp}/c.dcm", "--frame", "2"], "Frame 2 does not exist"),
    (["export-sc", "{pr}", "--out", "{tmp}/c.dcm"], "no image"),
])
def test_bad_input_exits_two_with_one_line(files: dict[str, Path], tmp_path: Path, args: list[str],
                                           message: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "export-seg", str(files["two"]), "--out", str(tmp_path / "seg.dcm"))
    names = {k: str(v) for k, v in files.items()} | {"tmp": str(tmp_path)}
    status = main([a.format(**names) for a in args])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"python -m overlay_core {args[0]}: error: ")
    assert message in lines[0]
    assert not (tmp_path / "x.dcm").exists() and not (tmp_path / "p.dcm").exists()


def test_usage_errors_exit_two(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["import-seg", str(files["two"]), "--out", "x.dcm"])  # --seg missing
    assert stop.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
