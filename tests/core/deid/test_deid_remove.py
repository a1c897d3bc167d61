"""Remove (Basic Profile): no 60xx element and no embedded overlay bit remains; image pixels unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from overlay_core.deid.decompress import embedded_in_compressed
from overlay_core.deid.profiles import deidentify
from overlay_core.errors import UnsupportedError
from overlay_core.planes.reading import image_info, load
from overlay_core.planes.writing import checked_bytes
from overlay_core.render.pixels import decode_frame
from tests import builders as b
from tests.deid_support import text_plane


def _60xx(ds: object) -> list[int]:
    return [int(t) for t in ds.keys() if 0x6000 <= int(t) >> 16 <= 0x60FF]  # type: ignore[attr-defined]


def _words(ds: object, bits: int) -> np.ndarray:
    return np.frombuffer(ds.PixelData, f"<u{bits // 8}")  # type: ignore[attr-defined]


@pytest.mark.parametrize(("bits_allocated", "frames"), [(16, 1), (8, 3)])
def test_embedded_and_standalone_planes_go_and_image_bits_stay(bits_allocated: int, frames: int) -> None:
    data, _ = b.embedded_file(bits_allocated, frames=frames)
    ds = load(data)
    b.add_plane(ds, 0x6004, text_plane(9, 11, frames=1, sizes=(8,)).bits, label="SMITH")
    ds.add_new(0x60030010, "LO", "private")  # an odd (private) 60xx group
    ds.OverlayDate = "20240311"
    info = image_info(ds)
    stored = (1 << info.bits_stored) - 1
    high = ((1 << bits_allocated) - 1) ^ stored  # the bits above High Bit
    before = _words(ds, bits_allocated).copy()
    assert (before & high).any()  # the fixture has embedded bits set
    report = deidentify(ds, "remove")
    written = load(checked_bytes(ds))  # the read-back check expects no plane
    assert _60xx(written) == []
    after = _words(written, bits_allocated)
    assert not (after & high).any()  # no embedded bit remains
    assert np.array_equal(after & stored, before & stored)  # the image, bit for bit
    assert "OverlayDate" not in written
    assert [p["group"] for p in report["planes"]] == ["6000", "6002", "6004"]
    assert [p.get("embedded_bits") for p in report["planes"]] == ["cleared", "cleared", None]
    assert report["other_groups"] == ["6003"]
    assert written.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    assert "PatientIdentityRemoved" not in written


def test_compressed_pixel_data_with_embedded_planes_needs_decompress() -> None:
    ds = b.image_dataset(16, 16, bits_stored=12)
    b.add_embedded_plane(ds, 0x6000, np.zeros((16, 16), bool), bit_position=15)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    ds = load(b.to_file_bytes(ds))
    image = decode_frame(ds, 0).copy()
    assert embedded_in_compressed(ds) == [0x6000]
    kept = b.to_file_bytes(ds)
    sentence = (r"^Overlay group\(s\) 6000 are embedded in compressed Pixel Data \(RLE Lossless\), "
                r"which cannot be cleaned without decompressing the image; choose decompress")
    with pytest.raises(UnsupportedError, match=sentence):
        deidentify(ds, "remove")
    assert b.to_file_bytes(ds) == kept  # nothing changed
    report = deidentify(ds, "remove", decompress_image=True)
    assert report["decompressed"] is True
    written = load(checked_bytes(ds))
    assert written.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert _60xx(written) == []
    assert np.array_equal(decode_frame(written, 0), image)
    assert not (_words(written, 16) >> 12).any()


def test_nothing_to_remove_is_still_recorded_once() -> None:
    ds = b.image_dataset(4, 4)
    deidentify(ds, "remove")
    deidentify(ds, "remove")
    assert len(ds.DeidentificationMethodCodeSequence) == 1
    assert ds.DeidentificationMethod == "Overlays removed (Basic Profile, 60xx groups and embedded bits)"
    deidentify(ds, "remove", header_deidentified=True)
    assert ds.PatientIdentityRemoved == "YES"
