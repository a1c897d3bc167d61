r"""What was done to the overlays, recorded in the file (PS3.3 C.7.1.1, PS3.16 CID 7050).

Each de-identification of the overlays appends one value to (0012,0063)
*De-identification Method* and one item to (0012,0064) *De-identification Method Code
Sequence* (scheme DCM, CID 7050 "De-identification Method"):

* Remove: ``113100`` *Basic Application Confidentiality Profile*, with the method text
  saying it was applied to the overlays only;
* Clean Graphics: ``113103`` *Clean Graphics Option*.

An entry already present is not added twice. (0012,0062) *Patient Identity Removed* is
set to ``YES`` only when the caller says the rest of the header has been de-identified
too: cleaning overlays alone never makes a file de-identified.

>>> ds = Dataset()
>>> record(ds, "clean-graphics", "Tesseract 5.3.0")
>>> ds.DeidentificationMethodCodeSequence[0].CodeValue, "PatientIdentityRemoved" in ds
('113103', False)
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

__all__ = ["CODES", "METHOD_TAGS", "method_text", "record"]

#: CID 7050 codes by profile: (code value, code meaning).
CODES: dict[str, tuple[str, str]] = {
    "remove": ("113100", "Basic Application Confidentiality Profile"),
    "clean-graphics": ("113103", "Clean Graphics Option"),
}

#: The attributes :func:`record` may change: Patient Identity Removed, Method, Method Code Sequence.
METHOD_TAGS = (0x00120062, 0x00120063, 0x00120064)


def method_text(profile: str, engine: str = "") -> str:
    """Return the (0012,0063) value for a profile: at most 64 characters (VR LO).

    >>> method_text("remove")
    'Overlays removed (Basic Profile, 60xx groups and embedded bits)'
    >>> len(method_text("clean-graphics", "Tesseract 5.3.0")) <= 64
    True
    """
    if profile == "remove":
        return "Overlays removed (Basic Profile, 60xx groups and embedded bits)"
    return f"Overlay text erased (Clean Graphics, OCR {engine})"[:64].strip()


def record(ds: Dataset, profile: str, engine: str = "", header_deidentified: bool = False) -> None:
    """Append the method text and code of ``profile`` to ``ds``; see the module docstring."""
    value, meaning = CODES[profile]
    text = method_text(profile, engine)
    current = ds.get("DeidentificationMethod")  # a keyword gives the value, not the element
    values = [] if current in (None, "") else (
        [str(v) for v in current] if isinstance(current, MultiValue) else [str(current)])
    if text not in values:
        ds.DeidentificationMethod = [*values, text] if values else text
    items = list(ds.get("DeidentificationMethodCodeSequence") or [])
    if not any(getattr(i, "CodeValue", None) == value and getattr(i, "CodingSchemeDesignator", None) == "DCM"
               for i in items):
        item = Dataset()
        item.CodeValue = value
        item.CodingSchemeDesignator = "DCM"
        item.CodeMeaning = meaning
        ds.DeidentificationMethodCodeSequence = Sequence([*items, item])
    if header_deidentified:
        ds.PatientIdentityRemoved = "YES"
