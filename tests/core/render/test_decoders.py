"""Decoder safety: nothing a file claims reaches a native decoder unchecked (issue 10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import JPEG2000, JPEGLosslessSV1, RLELossless

from overlay_core.errors import UnsupportedError
from overlay_core.planes.reading import load
from overlay_core.render.decoders import jpeg_header, plugins_for
from overlay_core.render.pixels import decode_frame, frame_image
from tests.conftest import ROOT

JPEG_LOSSLESS_FILE = "OutOfBoundsOverlay.dcm"  # JPEG Lossless SV1, 16-bit words, 12 bits stored


def _render_in_subprocess(path: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "overlay_core", "render", str(path), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("BitsAllocated", 32, "Bits Allocated 32 and Bits Stored 12, which this transfer syntax cannot hold"),
        ("BitsAllocated", 8, "Bits Stored 12 (expected 1 to Bits Allocated, 8)"),
        ("Rows", 1000, "frame 1 is 788 x 1318 with 1 component(s), but the header says 1000 x 1318"),
        ("SamplesPerPixel", 3, 'Photometric Interpretation "MONOCHROME2" with 3 sample(s)'),
    ],
)
def test_gdcm_never_sees_a_jpeg_lossless_header_it_would_abort_on(
    corpus: Path, tmp_path: Path, attribute: str, value: int, message: str
) -> None:
    """GDCM aborted the process (signal 6) on Bits Allocated 32; now one sentence, exit 2."""
    ds = load((corpus / JPEG_LOSSLESS_FILE).read_bytes())
    assert ds.file_meta.TransferSyntaxUID == JPEGLosslessSV1
    setattr(ds, attribute, value)
    with pytest.raises(UnsupportedError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_frame(ds)
    assert frame_image(ds).missing_reason is not None  # the view is black and says why
    path = tmp_path / "bad.dcm"
    ds.save_as(path)
    result = _render_in_subprocess(path, tmp_path / "out.png")
    assert result.returncode == 2, result.stderr[-500:]
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_the_unchanged_jpeg_lossless_file_still_decodes(corpus: Path) -> None:
    ds = load((corpus / JPEG_LOSSLESS_FILE).read_bytes())
    assert decode_frame(ds).shape == (788, 1318)


def test_jpeg_header_is_read_from_the_sof_segment() -> None:
    app0 = "ffe000104a46494600010100000100010000"
    sof3 = "ffc3000e10" "0003" "0004" "02" "011100" "021100"  # 16-bit, 3 rows, 4 columns, 2 components
    stream = bytes.fromhex("ffd8" + app0 + sof3 + "ffda")
    assert jpeg_header(stream) == (16, 3, 4, 2)
    assert jpeg_header(b"not a jpeg") is None
    assert jpeg_header(bytes.fromhex("ffd8ffda0002")) is None  # a scan before any frame header
    assert jpeg_header(bytes.fromhex("ffd8ffe0ffff")) is None  # a segment running off the end


def test_decoders_that_raise_python_errors_come_first() -> None:
    assert plugins_for(JPEG2000)[0] == "pylibjpeg" and plugins_for(JPEG2000)[-1] == "gdcm"
    assert plugins_for(RLELossless)[0] == "pylibjpeg"
    assert plugins_for(JPEGLosslessSV1) == ["gdcm"]  # nothing else here decodes it: checked first


@pytest.mark.parametrize(("bits_allocated", "bits_stored", "signed", "transfer_syntax"), [
    (16, 12, False, "1.2.840.10008.1.2.1"),
    (16, 12, True, "1.2.840.10008.1.2"),
    (16, 16, False, "1.2.840.10008.1.2.1"),
    (16, 16, True, "1.2.840.10008.1.2.1"),
    (8, 7, False, "1.2.840.10008.1.2.1"),
    (8, 6, True, "1.2.840.10008.1.2"),
    (16, 12, False, "1.2.840.10008.1.2.2"),  # big-endian: pydicom decodes it
])
def test_native_frames_are_read_as_pydicom_decodes_them(bits_allocated: int, bits_stored: int, signed: bool,
                                                        transfer_syntax: str) -> None:
    """Native greyscale words are read straight from Pixel Data; values and dtype are pydicom's."""
    from pydicom.pixels import pixel_array
    from pydicom.uid import UID

    from overlay_core.planes.reading import image_info
    from overlay_core.render.decoders import native_words
    from tests.builders import image_dataset

    ds = image_dataset(5, 7, frames=3, bits_allocated=bits_allocated, bits_stored=bits_stored,
                       transfer_syntax=UID(transfer_syntax))
    ds.PixelRepresentation = int(signed)
    order = ">" if transfer_syntax.endswith("2.2") else "<"
    words = np.frombuffer(ds.PixelData, f"{order}u{bits_allocated // 8}")
    noise = np.random.default_rng(3).integers(0, 1 << bits_allocated, words.size)  # high bits set too
    ds.PixelData = noise.astype(words.dtype).tobytes()
    expected_view = native_words(ds, image_info(ds), 1)
    assert (expected_view is None) == transfer_syntax.endswith("2.2")
    for frame in range(3):
        ours = decode_frame(ds, frame)
        theirs = pixel_array(ds, index=frame)
        assert ours.dtype == theirs.dtype and ours.flags.writeable
        assert np.array_equal(ours, theirs)
    if expected_view is not None:
        ds.PixelData = ds.PixelData[:-2]  # shorter than three frames: the last is pydicom's to refuse
        assert native_words(ds, image_info(ds), 2) is None and native_words(ds, image_info(ds), 1) is not None


@pytest.mark.parametrize(("bits_allocated", "bits_stored", "signed"), [
    (16, 12, False), (16, 12, True), (16, 16, True), (16, 10, False), (8, 7, False), (8, 6, True)])
@pytest.mark.parametrize("look", ["preset", "automatic", "manual", "monochrome1", "rescaled"])
def test_native_words_are_shown_as_their_decoded_values_are(bits_allocated: int, bits_stored: int,
                                                            signed: bool, look: str) -> None:
    """frame_image windows native words as stored (high bits in); the grey levels are the decoded values'."""
    from overlay_core.planes.reading import image_info
    from overlay_core.render import pixels
    from overlay_core.render.windowing import manual_window
    from tests.builders import image_dataset

    ds = image_dataset(6, 9, frames=2, bits_allocated=bits_allocated, bits_stored=bits_stored)
    ds.PixelRepresentation = int(signed)
    noise = np.random.default_rng(5).integers(0, 1 << bits_allocated, 2 * 6 * 9)  # high bits set too
    ds.PixelData = noise.astype(f"<u{bits_allocated // 8}").tobytes()
    half = 1 << (bits_stored - 1)  # a window over about half the values, wherever they lie
    center = 0 if signed else half
    voi = manual_window(center + half // 4, half) if look == "manual" else None
    if look == "preset":
        ds.WindowCenter, ds.WindowWidth = center, half
    if look == "monochrome1":
        ds.PhotometricInterpretation = "MONOCHROME1"
        ds.WindowCenter, ds.WindowWidth = center - half // 4, half
    if look == "rescaled":
        ds.RescaleSlope, ds.RescaleIntercept = 3, -7
        ds.WindowCenter, ds.WindowWidth = 3 * center - 7, 3 * half
    info = image_info(ds)
    for frame in range(2):
        shown = pixels.frame_image(ds, frame, voi)
        expected, used = pixels._display(pixels.decode_frame(ds, frame), ds, info, voi)
        assert shown.missing_reason is None and np.array_equal(shown.pixels, expected) and shown.voi == used
        assert len(np.unique(shown.pixels)) > 2  # the look shows values, not one flat level
