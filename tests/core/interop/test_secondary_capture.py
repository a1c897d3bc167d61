"""Burned-in RGB Secondary Capture: opens in pydicom and DCMTK with exactly our burned-in pixels."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest

from overlay_core.errors import InvalidArgumentError, UnsupportedError
from overlay_core.interop.secondary_capture import SECONDARY_CAPTURE_STORAGE, export_sc, sc_bytes
from overlay_core.planes.placement import combined_mask
from overlay_core.planes.reading import load
from overlay_core.planes.writing import to_bytes
from overlay_core.render.compose import render
from overlay_core.render.styles import PlaneStyle
from tests import builders as b


def read_ppm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    header = data.split(maxsplit=4)
    assert header[0] == b"P6" and header[3] == b"255"
    width, height = int(header[1]), int(header[2])
    return np.frombuffer(header[4][: width * height * 3], np.uint8).reshape(height, width, 3)


def test_sc_holds_the_frame_with_its_planes_burned_in() -> None:
    data, _ = b.two_plane_file()
    source = load(data)
    raw = sc_bytes(source)
    sc = pydicom.dcmread(pydicom.filebase.DicomBytesIO(raw))
    assert sc.SOPClassUID == SECONDARY_CAPTURE_STORAGE
    assert sc.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert (sc.PhotometricInterpretation, sc.SamplesPerPixel, sc.BitsAllocated) == ("RGB", 3, 8)
    assert (sc.Rows, sc.Columns) == (source.Rows, source.Columns)
    assert (sc.PatientName, sc.PatientID, sc.StudyInstanceUID) == (
        source.PatientName, source.PatientID, source.StudyInstanceUID)
    assert sc.SeriesInstanceUID != source.SeriesInstanceUID and sc.SOPInstanceUID != source.SOPInstanceUID
    assert sc.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    pixels = sc.pixel_array
    assert np.array_equal(pixels, render(source).image)
    bare = render(source, styles=[]).image
    changed = (pixels != bare).any(axis=2)
    # Only plane pixels changed (a colour may equal the grey underneath at a few pixels).
    planes = combined_mask(source)[0]
    assert not (changed & ~planes).any() and changed.sum() > 0.9 * planes.sum()


def test_styles_and_frame_choose_what_is_burned_in() -> None:
    data, _ = b.multiframe_file(image_frames=4, plane_frames=2, image_frame_origin=2)
    source = load(data)
    style = [PlaneStyle(0x6000, (255, 0, 0))]
    sc = load(sc_bytes(source, frame=2, styles=style))
    assert sc.SourceImageSequence[0].ReferencedFrameNumber == 3
    assert np.array_equal(sc.pixel_array, render(source, frame=2, styles=style).image)
    red = (sc.pixel_array == (255, 0, 0)).all(axis=2)
    assert np.array_equal(red, combined_mask(source)[2])


def test_bad_frame_and_undecodable_image() -> None:
    source = load(b.two_plane_file()[0])
    with pytest.raises(InvalidArgumentError, match="Frame index 1 is out of range: the image has 1 frame"):
        export_sc(source, frame=1)
    with pytest.raises(InvalidArgumentError, match="no image"):
        export_sc(load(b.presentation_state_file()[0]))
    broken = load(b.two_plane_file()[0])
    broken.PhotometricInterpretation = "YBR_PARTIAL_420"
    before = to_bytes(broken)
    with pytest.raises(UnsupportedError):
        export_sc(broken)
    assert to_bytes(broken) == before


@pytest.mark.skipif(shutil.which("dcmj2pnm") is None, reason="DCMTK's dcmj2pnm is not installed (dcmtk)")
def test_dcmtk_opens_the_sc_with_the_same_pixels(tmp_path: Path) -> None:
    source = load(b.two_plane_file()[0])
    raw = sc_bytes(source)
    (tmp_path / "sc.dcm").write_bytes(raw)
    result = subprocess.run(["dcmj2pnm", "sc.dcm", "sc.ppm"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert np.array_equal(read_ppm(tmp_path / "sc.ppm"), load(raw).pixel_array)


def test_an_empty_specific_character_set_is_the_default_repertoire() -> None:
    ds = b.image_dataset(6, 6)
    b.add_plane(ds, 0x6000, np.eye(6, dtype=bool))
    ds.SpecificCharacterSet = ""  # as fo-dicom_IM-0001-0001-0001.dcm
    source = load(b.to_file_bytes(ds))
    sc = load(sc_bytes(source))
    assert "SpecificCharacterSet" not in sc and sc.PatientName == source.PatientName
    assert source.SpecificCharacterSet == ""
