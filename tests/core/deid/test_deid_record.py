"""The De-identification Method record, and one undo step taking a whole de-identification back."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from overlay_core.deid.profiles import deidentify
from overlay_core.deid.record import CODES, method_text, record
from overlay_core.edit.history import History
from overlay_core.errors import InvalidArgumentError
from overlay_core.planes.reading import load
from overlay_core.planes.writing import to_bytes
from tests import builders as b


def test_entries_are_appended_to_what_a_header_tool_wrote() -> None:
    ds = Dataset()
    ds.DeidentificationMethod = "CTP: DICOM-S142-Baseline"
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "113100", "DCM", CODES["remove"][1]
    ds.DeidentificationMethodCodeSequence = [item]
    record(ds, "clean-graphics", "Tesseract 5.3.0")
    assert list(ds.DeidentificationMethod) == ["CTP: DICOM-S142-Baseline", method_text("clean-graphics",
                                                                                        "Tesseract 5.3.0")]
    assert [i.CodeValue for i in ds.DeidentificationMethodCodeSequence] == ["113100", "113103"]
    record(ds, "remove")  # 113100 is there already: only the method text is added
    assert [i.CodeValue for i in ds.DeidentificationMethodCodeSequence] == ["113100", "113103"]
    assert len(ds.DeidentificationMethod) == 3
    assert "PatientIdentityRemoved" not in ds


def test_unknown_profile() -> None:
    sentence = r'^The profile must be "remove" or "clean-graphics", not "x"\.$'
    with pytest.raises(InvalidArgumentError, match=sentence):
        deidentify(Dataset(), "x")


def test_one_undo_takes_the_whole_step_back() -> None:
    data, _ = b.embedded_file(16)
    ds = load(data)
    ds.OverlayDate = "20240311"
    before = to_bytes(ds)
    history = History()
    with history.change(ds, "de-identify: remove overlays"):
        deidentify(ds, "remove")
    assert "DeidentificationMethodCodeSequence" in ds and "OverlayDate" not in ds
    history.undo(ds)
    assert to_bytes(ds) == before
    history.redo(ds)
    assert "DeidentificationMethodCodeSequence" in ds and "OverlayDate" not in ds
