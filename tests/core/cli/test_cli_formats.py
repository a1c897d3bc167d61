"""The RTSTRUCT and NIfTI commands, and ``export-seg --labelmap``, in process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from overlay_core.cli.main import main
from overlay_core.interop.rtstruct import read_rois
from overlay_core.interop.seg import read_segments
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, overlay_groups
from overlay_core.planes.writing import delete_plane, to_bytes
from tests import builders as b
from tests.formats_support import mr_series, with_planes, write_series


@pytest.fixture
def series(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """The images with planes, and the same images without."""
    images = with_planes(mr_series(3, 30, 40))
    with_ = write_series(images, tmp_path / "with")
    for ds in images:
        for group in overlay_groups(ds):
            delete_plane(ds, group)
    return with_, write_series(images, tmp_path / "without")


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    return captured.err


def test_rtstruct_out_and_back(series: tuple[list[Path], list[Path]], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    with_, without = series
    rs = tmp_path / "rs.dcm"
    out = ok(capsys, "export-rtstruct", *map(str, reversed(with_)), "--out", str(rs))
    assert "2 ROI(s) over 3 image(s)" in out
    assert [r.name for r in read_rois(load(rs.read_bytes()))] == ["lesion", "spots"]
    folder = tmp_path / "imported"
    out = ok(capsys, "import-rtstruct", *map(str, without), "--rtstruct", str(rs), "--out", str(folder))
    assert "group(s) 6000, 6002 on 3 image(s)" in out
    for source, path in zip(with_, without, strict=True):
        before, after = load(source.read_bytes()), load((folder / path.name).read_bytes())
        for group in overlay_groups(before):
            assert np.array_equal(image_mask(after, group), image_mask(before, group))


def test_nifti_out_and_back(series: tuple[list[Path], list[Path]], tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    with_, without = series
    mask = tmp_path / "mask.nii.gz"
    ok(capsys, "export-nifti", *map(str, with_), "--group", "6000", "--out", str(mask))
    single = tmp_path / "one.dcm"
    err = fails(capsys, "import-nifti", str(without[0]), "--nifti", str(mask), "--out", str(single))
    assert "does not lie on them" in err and not single.exists()
    folder = tmp_path / "imported"
    ok(capsys, "import-nifti", *map(str, without), "--nifti", str(mask), "--out", str(folder))
    for source, path in zip(with_, without, strict=True):
        after = load((folder / path.name).read_bytes())
        assert np.array_equal(image_mask(after, 0x6000), image_mask(load(source.read_bytes()), 0x6000))
    assert "must end in .nii.gz or .nii" in fails(capsys, "export-nifti", str(with_[0]), "--out", "m.png")


def test_no_geometry_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "flat.dcm"
    source.write_bytes(b.two_plane_file()[0])
    for command, out in (("export-rtstruct", "rs.dcm"), ("export-nifti", "m.nii.gz")):
        err = fails(capsys, command, str(source), "--out", str(tmp_path / out))
        assert "has no patient geometry" in err
        assert not (tmp_path / out).exists()


def test_import_refuses_to_overwrite_an_input(series: tuple[list[Path], list[Path]], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with_, without = series
    rs = tmp_path / "rs.dcm"
    ok(capsys, "export-rtstruct", *map(str, with_), "--out", str(rs))
    before = without[0].read_bytes()
    err = fails(capsys, "import-rtstruct", *map(str, without), "--rtstruct", str(rs),
                "--out", str(without[0].parent))
    assert "Refusing to overwrite the input file" in err
    assert without[0].read_bytes() == before


def test_export_seg_labelmap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = b.image_dataset(10, 12)
    b.add_plane(ds, 0x6000, np.eye(10, 12, dtype=bool), label="diagonal")
    b.add_plane(ds, 0x6002, np.eye(10, 12, k=2, dtype=bool))
    source = tmp_path / "image.dcm"
    source.write_bytes(b.to_file_bytes(ds))
    seg = tmp_path / "seg.dcm"
    out = ok(capsys, "export-seg", str(source), "--labelmap", "--out", str(seg))
    assert "LABELMAP SEG with 2 segment(s)" in out
    written = load(seg.read_bytes())
    assert written.SegmentationType == "LABELMAP"
    assert [s.label for s in read_segments(written)] == ["diagonal", "Overlay 6002"]
    b.add_plane(ds, 0x6004, np.ones((2, 2), bool))
    source.write_bytes(to_bytes(ds))
    err = fails(capsys, "export-seg", str(source), "--labelmap", "--out", str(tmp_path / "no.dcm"))
    assert "Overlay groups 6000 and 6004 overlap in 2 pixel(s)" in err
