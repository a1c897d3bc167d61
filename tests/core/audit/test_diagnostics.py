"""Diagnostics: one case per finding code, the corpus' known faults, and clean files."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ImplicitVRLittleEndian, RLELossless

from overlay_core.audit.codes import CODES
from overlay_core.audit.diagnostics import diagnose
from overlay_core.model import Severity
from overlay_core.planes.reading import load
from tests import builders as b


def _image(**plane: object) -> Dataset:
    """A 6 x 8 image with one 3 x 5 plane in 6000, built with ``builders.add_plane(**plane)``."""
    ds = b.image_dataset(6, 8)
    mask = plane.pop("mask", b.random_mask((1, 3, 5), seed=30))
    b.add_plane(ds, 0x6000, mask, **plane)  # type: ignore[arg-type]
    return ds


def _with(ds: Dataset, element: int, vr: str, value: object) -> Dataset:
    """Replace (6000,element) by one stored with ``vr``."""
    ds.add_new(0x60000000 | element, vr, value)
    return ds


def _embedded(**header: int) -> Dataset:
    data, _ = b.embedded_file(16)
    ds = load(data)
    for element, value in header.items():
        ds[0x60000000 | int(element[1:], 16)].value = value
    return ds


def _rle_embedded() -> Dataset:
    ds = b.image_dataset(8, 8)
    ds.compress(RLELossless)
    header = ((0x10, "US", 8), (0x11, "US", 8), (0x40, "CS", "G"), (0x50, "SS", [1, 1]),
              (0x100, "US", 16), (0x102, "US", 15))
    for element, vr, value in header:
        ds.add_new(0x60000000 | element, vr, value)
    return ds


def _no_pixel_data_embedded() -> Dataset:
    ds = Dataset()
    for element, value in ((0x10, 4), (0x11, 4), (0x100, 16), (0x102, 15)):
        ds.add_new(0x60000000 | element, "US", value)
    return ds


def _stray(group: int) -> Dataset:
    ds = b.image_dataset(4, 4)
    ds.add_new((group << 16) | 0x0011, "US", 4)
    ds.add_new((group << 16) | 0x3000, "OW", bytes(2))
    return ds


def _empty_group() -> Dataset:
    ds = b.image_dataset(4, 4)
    for element, vr, value in ((0x10, "US", None), (0x11, "US", None), (0x40, "CS", ""), (0x3000, "OW", b"")):
        ds.add_new(0x60000000 | element, vr, value)
    return ds


def _activation_layer_only() -> Dataset:
    ds = Dataset()
    ds.add_new(0x60001001, "CS", "LAYER1")
    return ds


def _implicit_ob() -> Dataset:
    ds = b.image_dataset(6, 8, transfer_syntax=ImplicitVRLittleEndian)
    b.add_plane(ds, 0x6000, b.random_mask((1, 3, 5), seed=31), data_vr="OB")
    return ds


def _huge_image() -> Dataset:
    ds = Dataset()
    ds.Rows, ds.Columns, ds.NumberOfFrames = 65535, 65535, 1000
    return ds


def _multiframe(**plane: object) -> Dataset:
    ds = b.image_dataset(6, 8, frames=3)
    b.add_plane(ds, 0x6000, b.random_mask((2, 3, 5), seed=32), **plane)  # type: ignore[arg-type]
    return ds


G = 0x6000
# (code, group, dataset builder): every code diagnose() can return, each triggered on its own.
CASES: list[tuple[str, int | None, Callable[[], Dataset]]] = [
    ("image-unusable", None, _huge_image),
    ("group-odd", 0x6001, lambda: _stray(0x6001)),
    ("group-odd", 0x6021, lambda: _stray(0x6021)),
    ("group-out-of-range", 0x6020, lambda: _stray(0x6020)),
    ("group-out-of-range", 0x60FE, lambda: _stray(0x60FE)),
    ("activation-layer-only", G, _activation_layer_only),
    ("group-empty", G, _empty_group),
    ("size-missing", G, lambda: _image(rows=0)),
    ("data-missing", G, lambda: _image(mask=None, rows=3, cols=5)),
    ("type-missing", G, lambda: _image(overlay_type=None)),
    ("type-invalid", G, lambda: _image(overlay_type="X")),
    ("origin-missing", G, lambda: _image(origin=None)),
    ("bits-allocated-missing", G, lambda: _image(bits_allocated=None)),
    ("bits-allocated-wrong", G, lambda: _image(bits_allocated=16)),
    ("bits-allocated-mismatch", G, lambda: _embedded(e0100=8)),
    ("bit-position-missing", G, lambda: _image(bit_position=None)),
    ("bit-position-wrong", G, lambda: _image(bit_position=3)),
    ("bit-position-out-of-range", G, lambda: _embedded(e0102=16)),
    ("bit-position-in-image-data", G, lambda: _embedded(e0102=11)),
    ("embedded-retired", G, lambda: _embedded()),
    ("embedded-compressed", G, _rle_embedded),
    ("embedded-no-pixel-data", G, _no_pixel_data_embedded),
    ("embedded-size-mismatch", G, lambda: _embedded(e0010=4)),
    ("frames-invalid", G, lambda: _image(frames_attr=0)),
    ("frame-origin-invalid", G, lambda: _image(image_frame_origin=0)),
    ("wrong-vr", G, lambda: _image(frames_attr=1, frames_vr="US")),
    ("value-unreadable", G, lambda: _with(_image(), 0x0011, "PN", "five")),
    ("origin-invalid", G, lambda: _with(_image(origin=None), 0x0050, "DS", "3")),
    ("vr-ob-implicit", G, _implicit_ob),
    ("odd-length", G, lambda: _image(data=b"\x00" * 3)),          # 15 bits: 2 bytes expected
    ("missing-pad", G, lambda: _image(mask=None, rows=1, cols=8, data=b"\xff")),
    ("excess-padding", G, lambda: _image(data=b"\x00" * 6)),
    ("data-short", G, lambda: _image(data=b"\x00")),              # 7 bits short
    ("data-too-short", G, lambda: _image(mask=None, rows=40, cols=40, data=b"\x00" * 8)),
    ("plane-unusable", G, lambda: _image(data="not binary", data_vr="LO")),
    ("origin-outside-image", G, lambda: _image(origin=(7, 1))),
    ("origin-outside-image", G, lambda: _image(origin=(-2, 1))),
    ("plane-partly-outside", G, lambda: _image(origin=(6, 8))),
    ("plane-partly-outside", G, lambda: _image(origin=(-1, -3))),
    ("frames-beyond-image", G, lambda: _multiframe(frames_attr=2, image_frame_origin=3)),
]


@pytest.mark.parametrize(("code", "group", "build"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_code(code: str, group: int | None, build: Callable[[], Dataset]) -> None:
    findings = diagnose(build())
    matching = [f for f in findings if f.code == code]
    assert matching, f"{code} not in {[f.code for f in findings]}"
    finding = matching[0]
    assert finding.group == group and finding.severity is CODES[code].severity
    assert finding.message.endswith(".") and "\n" not in finding.message
    if group is not None:
        assert f"{group:04X}" in finding.message


def test_every_code_has_a_case() -> None:
    assert {case[0] for case in CASES} == set(CODES)


def test_codes_are_stable_names() -> None:
    assert all(code == code.lower() and " " not in code for code in CODES)


@pytest.mark.parametrize(
    ("code", "build"),
    [
        ("group-odd", lambda: _private_creator_only()),
        ("origin-outside-image", lambda: _image(origin=(6, 8))),   # bottom-right pixel still shown
        ("origin-outside-image", lambda: _image(origin=(-1, -3))),  # top-left pixel still shown
        ("frames-beyond-image", lambda: _multiframe(frames_attr=2, image_frame_origin=2)),
        ("plane-partly-outside", lambda: _image(origin=(4, 4))),  # the last row and column of the image
        ("plane-partly-outside", lambda: _image(origin=(7, 1))),  # wholly outside: origin-outside-image
        ("odd-length", lambda: _image(mask=None, rows=1, cols=8, data=b"\xff")),  # reported as missing-pad
    ],
)
def test_near_misses_are_not_reported(code: str, build: Callable[[], Dataset]) -> None:
    assert code not in [f.code for f in diagnose(build())]


def _private_creator_only() -> Dataset:
    ds = b.image_dataset(4, 4)
    ds.add_new(0x60010010, "LO", "ACME 1.0")
    return ds


@pytest.mark.parametrize(
    "build",
    [b.two_plane_file, b.roi_file, b.all_groups_file, b.implicit_vr_file, b.rle_file, b.multiframe_file],
)
def test_clean_files_have_no_findings(build: Callable[[], tuple[bytes, object]]) -> None:
    assert diagnose(load(build()[0])) == []


def test_partly_outside_says_which_rows_and_columns_are_shown_1_based() -> None:
    (finding,) = diagnose(_image(origin=(5, -1)))  # a 3 x 5 plane on a 6 x 8 image
    assert (finding.code, finding.severity) == ("plane-partly-outside", Severity.INFO)
    assert "at rows 5 to 7 and columns -1 to 3" in finding.message
    assert "only rows 5 to 6 and columns 1 to 3 are on the image" in finding.message
    larger = diagnose(load(b.larger_plane_file()[0]))  # legal, and worth knowing
    assert [f.code for f in larger] == ["plane-partly-outside"]


def test_a_group_with_errors_is_not_unpacked_again() -> None:
    findings = diagnose(_image(mask=None, rows=3, cols=5))
    assert [f.code for f in findings if f.severity is Severity.ERROR] == ["data-missing"]


def test_big_claim_is_diagnosed_without_allocating() -> None:
    findings = diagnose(load(b.big_claim_file()))
    assert [f.code for f in findings] == ["data-too-short"]
    assert "20 bytes" in findings[0].message and "65535 x 65535" in findings[0].message


def test_diagnose_does_not_change_the_dataset() -> None:
    ds = _embedded()
    before = b.to_file_bytes(ds)
    diagnose(ds)
    assert b.to_file_bytes(ds) == before


CORPUS_FINDINGS = {
    "MR-SIEMENS-DICOM-WithOverlays.dcm": [],
    "examples_overlay.dcm": [],
    "OutOfBoundsOverlay.dcm": [("plane-partly-outside", "6000"), ("plane-partly-outside", "6002")],
    "dwv_leadtools-8BitsJpegLossyGrayScale.dcm": [("group-empty", "6000")],
    "fo-dicom_GH1728.dcm": [("data-short", "6000")],
    "fo-dicom_IM-0001-0001-0001.dcm": [("data-missing", "6000")],
    "mr_brucker_with_unaligned_multiframe_overlay.dcm": [
        ("wrong-vr", "6000"), ("bits-allocated-missing", "6000"), ("bit-position-missing", "6000"),
        ("plane-partly-outside", "6000")],
    "derived/mr_brucker_with_unaligned_multiframe_overlay__repaired.dcm": [("plane-partly-outside", "6000")],
    "weasis_overlay.dcm": [("embedded-retired", "6000"), ("embedded-retired", "6002")],
    "weasis_prOverlay.dcm": [("activation-layer-only", g) for g in ("6000", "6002", "6004", "6006")],
}


@pytest.mark.corpus
@pytest.mark.parametrize(("rel", "expected"), CORPUS_FINDINGS.items())
def test_corpus_findings(corpus: Path, rel: str, expected: list[tuple[str, str]]) -> None:
    findings = diagnose(load((corpus / rel).read_bytes()))
    assert [(f.code, f"{f.group:04X}") for f in findings] == expected


@pytest.mark.corpus
def test_corpus_messages_name_actual_and_expected(corpus: Path) -> None:
    [short] = diagnose(load((corpus / "fo-dicom_GH1728.dcm").read_bytes()))
    assert "46210 bytes" in short.message and "46212 expected" in short.message
    [vr, *_] = diagnose(load((corpus / "mr_brucker_with_unaligned_multiframe_overlay.dcm").read_bytes()))
    assert "(6000,0015) as US instead of IS" in vr.message


def test_the_readme_table_is_the_code_table() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("### Diagnostics codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\S+) \| (\S+) \| (.+?) \|$", section, re.MULTILINE)
    table = [(code, Severity(severity), meaning) for code, severity, meaning in rows[2:]]  # after the header
    assert rows[:2] == [("code", "severity", "meaning"), ("---", "---", "---")]
    assert table == [(code, c.severity, c.meaning) for code, c in CODES.items()]
