"""What every derived file copies from its image so that dciodvfy finds nothing its source lacks."""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset

from overlay_core.interop.derived import is_multi_frame_class
from overlay_core.interop.gsps import gsps_bytes
from overlay_core.interop.rtstruct import rtstruct_bytes
from overlay_core.interop.secondary_capture import sc_bytes
from overlay_core.interop.seg import seg_bytes
from overlay_core.planes.reading import load
from tests import builders as b
from tests.formats_support import mr_series


def animal_breast_image() -> Dataset:
    ds = b.image_dataset(12, 14)
    ds.PatientSpeciesDescription = "CANINE"
    ds.ResponsibleOrganization = "Vet School"
    ds.BodyPartExamined = "BREAST"
    ds.ImageLaterality = "R"
    ds.PatientOrientation = ["A", "F"]
    b.add_plane(ds, 0x6000, np.eye(12, 14, dtype=bool))
    return load(b.to_file_bytes(ds))


def test_each_derived_file_completes_its_modules() -> None:
    image = animal_breast_image()
    seg, state, sc = load(seg_bytes(image)), load(gsps_bytes(image)), load(sc_bytes(image))
    for derived in (seg, state, sc):
        assert derived.PatientSpeciesDescription == "CANINE"
        assert derived.ResponsibleOrganization == "Vet School"
        assert "PatientSexNeutered" in derived and derived.PatientSexNeutered in ("", None)
        assert derived.BodyPartExamined == "BREAST"
    assert state.Laterality == "R" and sc.Laterality == "R"  # from Image Laterality
    assert "Laterality" not in seg  # dciodvfy refuses it in a SEG
    assert list(seg.PatientOrientation) == ["A", "F"]  # no plane orientation: the image's
    assert sc.BurnedInAnnotation == "YES"


def test_unpaired_body_part_has_no_laterality_and_structure_sets_no_series_attributes() -> None:
    image = mr_series(1, 12, 14, orientation=(1, 0, 0, 0, 1, 0))[0]
    image.BodyPartExamined = "ABDOMEN"
    b.add_plane(image, 0x6000, np.eye(12, 14, dtype=bool))
    assert "Laterality" not in load(gsps_bytes(image))
    rs = load(rtstruct_bytes([image]))
    assert "Laterality" not in rs and "BodyPartExamined" not in rs  # RT Series has neither


def test_frame_references_follow_the_sop_class() -> None:
    image = b.image_dataset(8, 8, frames=3)  # Multi-frame Grayscale Word Secondary Capture
    b.add_plane(image, 0x6000, np.eye(8, dtype=bool))
    assert is_multi_frame_class(image)
    assert int(load(sc_bytes(image, 1)).SourceImageSequence[0].ReferencedFrameNumber) == 2
    image.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"  # MR Image Storage: single-frame by its class
    assert not is_multi_frame_class(image)
    assert "ReferencedFrameNumber" not in load(sc_bytes(image, 1)).SourceImageSequence[0]
