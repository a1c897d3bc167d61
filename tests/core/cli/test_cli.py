"""The command line through main(argv) in-process; two subprocess smoke tests for the real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from overlay_core.audit.diagnostics import diagnose
from overlay_core.cli.main import COMMANDS, build_parser, main
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import image_info, load, overlay_groups, plane_bits, read_plane, read_planes
from tests import builders as b

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "overlay_core", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    builders = (("two", b.two_plane_file), ("embedded", b.embedded_file), ("multi", b.multiframe_file),
                ("rle", b.rle_file), ("pr", b.presentation_state_file))
    for name, build in builders:
        out[name] = tmp_path / f"{name}.dcm"
        out[name].write_bytes(build()[0])
    out["text"] = tmp_path / "notes.txt"
    out["text"].write_text("not a DICOM file\n" * 10)
    return out


def call(args: list[str], cwd: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """Run ``main(args)`` in ``cwd``: (exit status, stdout, stderr); argparse's exits included."""
    monkeypatch.chdir(cwd)
    try:
        status = main(args)
    except SystemExit as exc:
        status = int(exc.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


# --------------------------------------------------------------------------- subprocess smoke tests


def test_success_exits_zero(files: dict[str, Path], tmp_path: Path) -> None:
    result = run("info", str(files["two"]), cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert "6000" in result.stdout and "6002" in result.stdout


def test_bad_input_exits_two_with_one_line_and_no_traceback(files: dict[str, Path], tmp_path: Path) -> None:
    result = run("extract", str(files["two"]), "--group", "6004", "--npy", "x.npy", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "python -m overlay_core extract: error: The file has no overlay plane in group 6004.\n")


# --------------------------------------------------------------------------- in-process: exit codes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["info", "missing.dcm"], "does not exist"),
        (["info", "notes.txt"], "not a DICOM file"),
        (["info", "."], "is a folder"),
        (["extract", "two.dcm", "--group", "6001", "--npy", "x.npy"], "not an overlay group"),
        (["extract", "two.dcm", "--group", "6004", "--npy", "x.npy"], "no overlay plane in group 6004"),
        (["delete", "two.dcm", "--group", "6000", "--out", "two.dcm"], "Refusing to overwrite the input"),
        (["delete", "two.dcm", "--group", "6000", "--out", "./sub/../two.dcm"], "Refusing to overwrite"),
        (["apply", "two.dcm", "--group", "6000", "--mask", "m.txt", "--out", "o.dcm"],
         "error: The mask m.txt must be a .npy or .png file."),
        (["apply", "two.dcm", "--group", "6000", "--mask", "m.npy", "--out", "o.dcm"],
         "The mask file m.npy does not exist."),
        (["apply", "two.dcm", "--group", "6000", "--mask", "notes.txt.png", "--out", "o.dcm"],
         "neither a PNG image nor a NumPy .npy array"),
        (["migrate", "two.dcm", "--group", "6000", "--out", "o.dcm"], "not embedded"),
        (["delete", "two.dcm"], "required: --group, --out"),
        (["frobnicate"], "invalid choice"),
        ([], "required: COMMAND"),
    ],
)
def test_bad_input_exits_two_with_one_line(files: dict[str, Path], tmp_path: Path, args: list[str],
                                            message: str, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir(exist_ok=True)
    (tmp_path / "notes.txt.png").write_text("not a PNG")
    before = files["two"].read_bytes()
    status, _, err = call(args, tmp_path, capsys, monkeypatch)
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message in err
    assert files["two"].read_bytes() == before
    assert not (tmp_path / "o.dcm").exists()


# --------------------------------------------------------------------------- in-process


def test_parser_has_every_command() -> None:
    issue_commands = ["info", "extract", "mask", "apply", "new", "delete", "migrate"]
    assert list(COMMANDS)[:7] == issue_commands  # later helpers append (e.g. render)
    args = build_parser().parse_args(["apply", "f", "--group", "0x6002", "--mask", "m.npy", "--out", "o"])
    assert (args.group, args.mode, args.space, args.new_uid) == (0x6002, "replace", "plane", False)


def test_info_json_schema(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(files["embedded"]), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"file", "image", "overlays", "diagnostics"}
    ds = load(files["embedded"].read_bytes())
    assert doc["image"] == {k: v for k, v in image_info(ds).__dict__.items()}
    assert [p["group"] for p in doc["overlays"]] == ["6000", "6002"]
    plane = read_plane(ds, 0x6000)
    first = doc["overlays"][0]
    assert set(first) == set(plane.__dict__) | {"statistics"}  # statistics: issue 18
    assert first["origin"] == list(plane.origin) and first["type"] == "G"
    assert (first["embedded"], first["bit_position"], first["set_bits"]) == (True, 15, plane.set_bits)
    assert doc["diagnostics"] == [
        {"severity": f.severity.value, "code": f.code, "group": f"{f.group:04X}", "message": f.message}
        for f in diagnose(ds)
    ]


def test_info_json_without_image(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(files["pr"]), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["image"]["rows"] == 0 and [p["group"] for p in doc["overlays"]] == ["6002"]
    assert doc["diagnostics"][0]["code"] == "activation-layer-only"


def test_info_text(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(files["embedded"])]) == 0
    out = capsys.readouterr().out
    assert "Image: 1 frame(s) of 9 x 11" in out and "[warning] embedded-retired 6000" in out


def test_extract_npy_and_png(files: dict[str, Path], tmp_path: Path) -> None:
    _, mask = b.multiframe_file()
    assert main(["extract", str(files["multi"]), "--group", "6000", "--npy", str(tmp_path / "p.npy")]) == 0
    saved = np.load(tmp_path / "p.npy")
    assert saved.dtype == np.uint8 and saved.shape == (2, 5, 7) and np.array_equal(saved, mask)
    assert main(["extract", str(files["multi"]), "--group", "6000", "--png", str(tmp_path / "p.png")]) == 0
    with Image.open(tmp_path / "p.png") as img:
        strip = np.asarray(img)
    assert strip.shape == (10, 7) and set(np.unique(strip)) <= {0, 255}
    assert np.array_equal(strip.reshape(2, 5, 7) == 255, mask)  # frames stacked top to bottom


def test_mask_is_image_space(files: dict[str, Path], tmp_path: Path) -> None:
    assert main(["mask", str(files["multi"]), "--group", "6000", "--npy", str(tmp_path / "m.npy")]) == 0
    saved = np.load(tmp_path / "m.npy")
    expected = image_mask(load(files["multi"].read_bytes()), 0x6000)
    assert saved.dtype == np.uint8 and saved.shape == (4, 10, 11) and np.array_equal(saved, expected)


@pytest.mark.parametrize("mode", ["replace", "add", "erase"])
def test_apply_in_overlay_space(files: dict[str, Path], tmp_path: Path, mode: str) -> None:
    ds = load(files["two"].read_bytes())
    old = plane_bits(ds, 0x6002)
    mask = b.random_mask(old.shape, seed=40)
    np.save(tmp_path / "m.npy", mask.astype(np.uint8))
    out = tmp_path / "o.dcm"
    assert main(["apply", str(files["two"]), "--group", "6002", "--mask", str(tmp_path / "m.npy"),
                 "--out", str(out), "--mode", mode]) == 0
    new = plane_bits(pydicom.dcmread(out), 0x6002)
    expected = {"replace": mask, "add": old | mask, "erase": old & ~mask}[mode]
    assert np.array_equal(new, expected)
    assert np.array_equal(plane_bits(load(out.read_bytes()), 0x6000), plane_bits(ds, 0x6000))


def test_apply_replace_changes_size_and_png_masks(files: dict[str, Path], tmp_path: Path) -> None:
    Image.fromarray(np.eye(4, 6, dtype=np.uint8) * 200).save(tmp_path / "m.png")
    out = tmp_path / "o.dcm"
    assert main(["apply", str(files["two"]), "--group", "6002", "--mask", str(tmp_path / "m.png"),
                 "--out", str(out)]) == 0
    plane = read_plane(load(out.read_bytes()), 0x6002)
    assert plane.shape == (1, 4, 6) and plane.set_bits == 4
    assert plane.origin == (3, 4) and plane.label == "SECOND"  # attributes kept


def test_apply_add_needs_a_mask_of_the_plane_shape(files: dict[str, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "m.npy", np.ones((3, 3), np.uint8))
    assert main(["apply", str(files["two"]), "--group", "6002", "--mask", str(tmp_path / "m.npy"),
                 "--out", str(tmp_path / "o.dcm"), "--mode", "add"]) == 2
    assert "The mask is 3 x 3 pixels but overlay group 6002 is 5 x 7" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["replace", "add", "erase"])
def test_apply_in_image_space_goes_through_the_origin(
    files: dict[str, Path], tmp_path: Path, mode: str
) -> None:
    ds = load(files["two"].read_bytes())
    old = plane_bits(ds, 0x6002)  # 5 x 7 at origin 3\4: image rows 2..6, cols 3..9 (0-based)
    image = b.random_mask((16, 20), seed=41)
    np.save(tmp_path / "m.npy", image)
    out = tmp_path / "o.dcm"
    assert main(["apply", str(files["two"]), "--group", "6002", "--mask", str(tmp_path / "m.npy"),
                 "--out", str(out), "--mode", mode, "--space", "image"]) == 0
    part = image[2:7, 3:10][np.newaxis]
    expected = {"replace": part, "add": old | part, "erase": old & ~part}[mode]
    assert np.array_equal(plane_bits(load(out.read_bytes()), 0x6002), expected)


def test_apply_image_space_on_a_multi_frame_plane(files: dict[str, Path], tmp_path: Path) -> None:
    image = b.random_mask((4, 10, 11), seed=42)
    np.save(tmp_path / "m.npy", image)
    out = tmp_path / "o.dcm"
    assert main(["apply", str(files["multi"]), "--group", "6000", "--mask", str(tmp_path / "m.npy"),
                 "--out", str(out), "--space", "image"]) == 0
    # plane frames 1, 2 lie on image frames 2, 3 (1-based); origin 2\3 -> rows 1..5, cols 2..8
    assert np.array_equal(plane_bits(load(out.read_bytes()), 0x6000), image[1:3, 1:6, 2:9])


def test_apply_creates_a_missing_group_with_replace(files: dict[str, Path], tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.ones((16, 20), np.uint8))
    out = tmp_path / "o.dcm"
    assert main(["apply", str(files["two"]), "--group", "6008", "--mask", str(tmp_path / "m.npy"),
                 "--out", str(out), "--space", "image"]) == 0
    assert overlay_groups(load(out.read_bytes())) == [0x6000, 0x6002, 0x6008]
    assert main(["apply", str(files["two"]), "--group", "6008", "--mask", str(tmp_path / "m.npy"),
                 "--out", str(tmp_path / "p.dcm"), "--mode", "add"]) == 2


def test_new_with_mask_label_and_new_uid(files: dict[str, Path], tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.eye(3, dtype=np.uint8))
    out = tmp_path / "o.dcm"
    assert main(["new", str(files["rle"]), "--out", str(out), "--mask", str(tmp_path / "m.npy"),
                 "--label", "DRAWN", "--origin", "2", "5", "--new-uid"]) == 0
    before, after = load(files["rle"].read_bytes()), load(out.read_bytes())
    plane = read_plane(after, 0x6002)
    assert (plane.label, plane.origin, plane.set_bits, plane.subtype) == ("DRAWN", (2, 5), 3, "USER")
    assert after.SOPInstanceUID != before.SOPInstanceUID
    assert bytes(after.PixelData) == bytes(before.PixelData)


def test_new_without_mask_is_an_empty_image_sized_plane(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "o.dcm"
    assert main(["new", str(files["two"]), "--out", str(out)]) == 0
    plane = read_plane(load(out.read_bytes()), 0x6004)
    assert plane.shape == (1, 16, 20) and plane.set_bits == 0
    uid = load(files["two"].read_bytes()).SOPInstanceUID
    assert load(out.read_bytes()).SOPInstanceUID == uid  # kept without --new-uid


def test_delete(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "o.dcm"
    assert main(["delete", str(files["two"]), "--group", "6000", "--out", str(out)]) == 0
    assert [p.group for p in read_planes(load(out.read_bytes()))] == [0x6002]


def test_migrate(files: dict[str, Path], tmp_path: Path) -> None:
    _, masks = b.embedded_file()
    out = tmp_path / "o.dcm"
    assert main(["migrate", str(files["embedded"]), "--group", "6002", "--out", str(out)]) == 0
    plane = read_plane(load(out.read_bytes()), 0x6002)
    assert not plane.embedded and plane.vr == "OW"
    assert np.array_equal(plane_bits(load(out.read_bytes()), 0x6002), masks[0x6002])
    assert [f.code for f in diagnose(load(out.read_bytes()))] == ["embedded-retired"]  # 6000 remains


def test_refuses_to_overwrite_input_through_a_symlink(files: dict[str, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "link.dcm"
    link.symlink_to(files["two"])
    before = files["two"].read_bytes()
    assert main(["delete", str(files["two"]), "--group", "6000", "--out", str(link)]) == 2
    assert "Refusing to overwrite" in capsys.readouterr().err
    assert files["two"].read_bytes() == before


def test_png_strip_round_trips_through_extract_and_apply(files: dict[str, Path], tmp_path: Path) -> None:
    _, mask = b.multiframe_file()
    png, out = tmp_path / "p.png", tmp_path / "o.dcm"
    assert main(["extract", str(files["multi"]), "--group", "6000", "--png", str(png)]) == 0
    assert main(["apply", str(files["multi"]), "--group", "6000", "--mask", str(png), "--out", str(out),
                 "--mode", "erase"]) == 0
    assert not plane_bits(load(out.read_bytes()), 0x6000).any()  # erasing its own bits leaves nothing
    assert main(["apply", str(out), "--group", "6000", "--mask", str(png), "--out", str(tmp_path / "q.dcm"),
                 "--mode", "add"]) == 0
    assert np.array_equal(plane_bits(load((tmp_path / "q.dcm").read_bytes()), 0x6000), mask)


@pytest.mark.parametrize(("old", "new"), [(["--mode", "add"], ["--mode", "draw"]),
                                          (["--space", "overlay"], ["--space", "plane"])])
def test_deprecated_spellings_warn_and_do_what_the_new_ones_do(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], old: list[str], new: list[str]
) -> None:
    np.save(tmp_path / "m.npy", b.random_mask((5, 7), seed=43).astype(np.uint8))
    common = ["apply", str(files["two"]), "--group", "6002", "--mask", str(tmp_path / "m.npy")]
    assert main([*common, "--out", str(tmp_path / "old.dcm"), *old]) == 0
    assert f"warning: {old[0]} {old[1]} is deprecated; use {new[0]} {new[1]}." in capsys.readouterr().err
    assert main([*common, "--out", str(tmp_path / "new.dcm"), *new]) == 0
    assert capsys.readouterr().err == ""
    assert np.array_equal(plane_bits(load((tmp_path / "old.dcm").read_bytes()), 0x6002),
                          plane_bits(load((tmp_path / "new.dcm").read_bytes()), 0x6002))


def test_render_writes_a_png_and_numbers_frames_from_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = b.roi_file()
    src = tmp_path / "in.dcm"
    src.write_bytes(data)
    out = tmp_path / "out.png"
    assert main(["render", str(src), "--out", str(out), "--overlays", "none", "--window", "2048", "4096"]) \
        == 0
    assert np.asarray(Image.open(out)).shape == (10, 12)  # no plane painted: a grey PNG
    assert main(["render", str(src), "--out", str(out)]) == 0
    assert np.asarray(Image.open(out)).shape == (10, 12, 3)
    assert src.read_bytes() == data
    capsys.readouterr()
    assert main(["render", str(src), "--out", str(out), "--frame", "2"]) == 2
    assert "Frame 2 does not exist: the image has 1 frame(s), numbered 1 to 1." in capsys.readouterr().err
