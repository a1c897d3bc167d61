r"""Diagnostics: what is wrong, odd or retired in a file's overlay groups.

:func:`diagnose` never raises for a readable dataset; it returns a list of
:class:`~overlay_core.model.Finding`, each with a stable ``code``
(:data:`overlay_core.audit.codes.CODES`),
the group concerned (or ``None`` for the file) and one sentence naming the actual and
the expected value. Severities: ``error`` means the group cannot be used as stored,
``warning`` that it was read with an assumption or a repair, ``info`` that it is legal
but worth knowing.
"""

from __future__ import annotations

from typing import Any

from pydicom.datadict import dictionary_description, dictionary_VR
from pydicom.dataset import Dataset

from overlay_core.audit.codes import CODES
from overlay_core.dataset import values
from overlay_core.errors import OverlayError
from overlay_core.model import OVERLAY_GROUPS, Finding, ImageInfo, OverlayPlane, Severity, group_hex
from overlay_core.planes import bits, reading
from overlay_core.planes.placement import frame_map, origin_offset, plane_window

__all__ = ["diagnose"]

#: The elements of a 60xx group that PS3.6 defines; their names and VRs come from
#: :mod:`pydicom.datadict`.
_ELEMENTS = (
    reading.ROWS, reading.COLUMNS, reading.FRAMES, reading.DESCRIPTION, reading.TYPE, reading.SUBTYPE,
    reading.ORIGIN, reading.FRAME_ORIGIN, reading.BITS_ALLOCATED, reading.BIT_POSITION,
    reading.ACTIVATION_LAYER, reading.ROI_AREA, reading.ROI_MEAN, reading.ROI_STD, reading.LABEL,
    reading.DATA,
)


def _dictionary(element: int) -> tuple[str, tuple[str, ...]] | None:
    """Return the name and the allowed VRs of a 60xx element, from pydicom's data dictionary.

    >>> _dictionary(0x3000), _dictionary(0x0050), _dictionary(0x0999)
    (('Overlay Data', ('OB', 'OW')), ('Overlay Origin', ('SS',)), None)
    """
    if element not in _ELEMENTS:
        return None
    t = reading.tag(OVERLAY_GROUPS[0], element)
    return dictionary_description(t), tuple(dictionary_VR(t).split(" or "))


# Elements that mark a group outside 6000-601E as overlay-like. (gggg,0010) alone is
# not enough: in an odd (private) group it is a Private Creator.
_OVERLAY_LIKE = (reading.COLUMNS, reading.TYPE, reading.ORIGIN, reading.BITS_ALLOCATED,
                 reading.BIT_POSITION, reading.DATA)

_IMPLICIT_VR = "1.2.840.10008.1.2"


def _finding(code: str, group: int | None, message: str) -> Finding:
    return Finding(CODES[code].severity, code, group, message)


def _name(group: int) -> str:
    return f"Overlay group {group_hex(group)}"


def diagnose(ds: Dataset) -> list[Finding]:
    r"""Check every overlay group of a dataset and say what is wrong with it.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        As returned by :func:`overlay_core.planes.reading.load`; not changed.

    Returns
    -------
    list of Finding
        File-level findings first, then per group in group order; empty for a clean file.
        Codes and severities are listed in this module's docstring and :data:`CODES`.

    Examples
    --------
    >>> ds = Dataset()
    >>> ds.add_new(0x60000010, "US", 2); ds.add_new(0x60000011, "US", 2)
    >>> [f.code for f in diagnose(ds)][:2]
    ['data-missing', 'type-missing']
    >>> ds.add_new(0x60003000, "OW", b"\x0f")
    >>> [f.code for f in diagnose(ds) if f.code.endswith("pad")]
    ['missing-pad']
    """
    findings: list[Finding] = []
    try:
        info: ImageInfo | None = reading.image_info(ds)
    except OverlayError as exc:
        findings.append(_finding("image-unusable", None, str(exc)))
        info = None
    findings.extend(_stray_groups(ds))
    for group in reading.overlay_groups(ds):
        findings.extend(_diagnose_group(ds, group, info))
    return findings


def _stray_groups(ds: Dataset) -> list[Finding]:
    """Return findings for groups 6001-60FF that are not overlay groups but hold overlay elements."""
    by_group: dict[int, set[int]] = {}
    for t in ds.keys():
        group = int(t) >> 16
        if 0x6000 <= group <= 0x60FF and group not in OVERLAY_GROUPS:
            by_group.setdefault(group, set()).add(int(t) & 0xFFFF)
    out = []
    for group, elements in sorted(by_group.items()):
        rows_us = reading.ROWS in elements and ds[reading.tag(group, reading.ROWS)].VR == "US"
        if not rows_us and not elements.intersection(_OVERLAY_LIKE):
            continue
        if group % 2:
            out.append(_finding(
                "group-odd", group,
                f"Group {group_hex(group)} holds overlay elements, but overlay planes must be in an "
                "even group from 6000 to 601E (odd groups are private); it was ignored.",
            ))
        else:
            out.append(_finding(
                "group-out-of-range", group,
                f"Group {group_hex(group)} holds overlay elements, but overlay planes must be in an "
                "even group from 6000 to 601E; it was ignored.",
            ))
    return out


def _present(ds: Dataset, group: int) -> dict[int, Any]:
    """Return the group's elements (without group length) by element number."""
    return {int(t) & 0xFFFF: ds[t] for t in ds.keys() if int(t) >> 16 == group and int(t) & 0xFFFF}


def _is_empty(elem: Any) -> bool:
    value = elem.value
    return value is None or value == "" or value == b"" or (hasattr(value, "__len__") and len(value) == 0)


def _diagnose_group(ds: Dataset, group: int, info: ImageInfo | None) -> list[Finding]:
    name = _name(group)
    elements = _present(ds, group)
    filled = {el: e for el, e in elements.items() if not _is_empty(e)}
    if set(elements) == {reading.ACTIVATION_LAYER}:
        layer = values.text(ds, group, reading.ACTIVATION_LAYER, 64)
        return [_finding(
            "activation-layer-only", group,
            f"{name} only sets Overlay Activation Layer \"{layer}\", which shows the "
            "referenced image's own plane in that layer; it holds no plane itself.",
        )]
    if not set(filled) - {reading.ACTIVATION_LAYER}:
        return [_finding(
            "group-empty", group,
            f"{name} has {len(elements)} element(s) but all of them are empty, so it holds no plane.",
        )]
    out = _vr_findings(ds, group, elements)
    out.extend(_value_findings(ds, group, filled))
    out.extend(_header_findings(ds, group, filled, info))
    if any(f.severity is Severity.ERROR for f in out):
        return out
    try:
        plane, unpacked = reading.check_plane(ds, group)
    except OverlayError as exc:
        out.append(_unusable(ds, group, exc))
        return out
    out.extend(unpacked)
    out.extend(_data_findings(ds, plane, unpacked))
    if info is not None and info.rows > 0:
        out.extend(_placement_findings(plane, info))
    return out


def _vr_findings(ds: Dataset, group: int, elements: dict[int, Any]) -> list[Finding]:
    out = []
    for element, elem in sorted(elements.items()):
        known = _dictionary(element)
        if known is None or elem.VR in known[1]:
            continue
        keyword, vrs = known
        value = "" if _is_empty(elem) else f"; its value {_short(elem.value)} was used as read"
        out.append(_finding(
            "wrong-vr", group,
            f"{_name(group)} stores {keyword} ({group_hex(group)},{element:04X}) as {elem.VR} "
            f"instead of {' or '.join(vrs)}{value}.",
        ))
    return out


def _short(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return f"({len(value)} bytes)"
    text = str(value)
    return text if len(text) <= 20 else text[:17] + "..."


def _header_findings(
    ds: Dataset, group: int, filled: dict[int, Any], info: ImageInfo | None
) -> list[Finding]:
    name = _name(group)
    out: list[Finding] = []
    rows = _read(ds, group, reading.ROWS)
    cols = _read(ds, group, reading.COLUMNS)
    if reading.ROWS not in filled or reading.COLUMNS not in filled or not rows or not cols:
        out.append(_finding(
            "size-missing", group,
            f"{name} has Overlay Rows {_shown(rows)} and Overlay Columns {_shown(cols)}, "
            "but both must be 1 or more.",
        ))
    has_data = reading.tag(group, reading.DATA) in ds
    bits_allocated = _read(ds, group, reading.BITS_ALLOCATED)
    bit_position = _read(ds, group, reading.BIT_POSITION)
    embedded = not has_data and reading.plane_bits_allocated(ds, group) > 1
    if not has_data and not embedded:
        out.append(_finding(
            "data-missing", group,
            f"{name} has no Overlay Data ({group_hex(group)},3000) and is not embedded in Pixel Data "
            f"(Overlay Bits Allocated is {_shown(bits_allocated)}, not above 1).",
        ))
    type_text = values.text(ds, group, reading.TYPE, 64).upper()
    if not type_text:
        out.append(_finding("type-missing", group, f"{name} has no Overlay Type; G (graphics) was assumed."))
    elif type_text not in ("G", "R"):
        out.append(_finding(
            "type-invalid", group,
            f'{name} has Overlay Type "{type_text}" instead of G or R; G (graphics) was assumed.',
        ))
    if reading.ORIGIN not in filled:
        out.append(_finding("origin-missing", group, f"{name} has no Overlay Origin; 1\\1 was assumed."))
    if bits_allocated is None:
        out.append(_finding(
            "bits-allocated-missing", group,
            f"{name} has no Overlay Bits Allocated (expected 1); 1 was assumed.",
        ))
    elif has_data and bits_allocated != 1:
        out.append(_finding(
            "bits-allocated-wrong", group,
            f"{name} has Overlay Data but Overlay Bits Allocated {bits_allocated} (expected 1); "
            "the data was read as one bit per pixel.",
        ))
    if bit_position is None:
        out.append(_finding(
            "bit-position-missing", group,
            f"{name} has no Overlay Bit Position (expected {'a bit of the pixel word' if embedded else 0}); "
            "0 was assumed.",
        ))
    elif has_data and bit_position != 0:
        out.append(_finding(
            "bit-position-wrong", group,
            f"{name} has Overlay Data but Overlay Bit Position {bit_position} (expected 0); "
            "the data was read from bit 0.",
        ))
    frames = _read(ds, group, reading.FRAMES)
    if frames is not None and frames < 1:
        out.append(_finding(
            "frames-invalid", group,
            f"{name} has Number of Frames in Overlay {frames} (expected 1 or more); 1 was assumed.",
        ))
    frame_origin = _read(ds, group, reading.FRAME_ORIGIN)
    if frame_origin is not None and frame_origin < 1:
        out.append(_finding(
            "frame-origin-invalid", group,
            f"{name} has Image Frame Origin {frame_origin} (expected 1 or more); 1 was assumed.",
        ))
    if embedded and bits_allocated is not None:
        out.extend(_embedded_findings(ds, group, bits_allocated, bit_position or 0, info))
    return out


def _shown(value: Any) -> str:
    return "missing" if value is None else str(value)


#: The numeric elements, with the range of values each may hold.
_RANGES: dict[int, tuple[int, int]] = {
    reading.ROWS: values.U16, reading.COLUMNS: values.U16, reading.FRAMES: values.INT,
    reading.ORIGIN: values.S16, reading.FRAME_ORIGIN: values.U16,
    reading.BITS_ALLOCATED: values.U16, reading.BIT_POSITION: values.U16, reading.ROI_AREA: values.INT,
}


def _read(ds: Dataset, group: int, element: int) -> int | None:
    """Return a numeric element's first value, or ``None`` when absent, empty or unreadable."""
    return values.integer(ds, group, element, None, *_RANGES[element])


def _value_findings(ds: Dataset, group: int, filled: dict[int, Any]) -> list[Finding]:
    """Say which numeric values cannot be read, and an Overlay Origin without two values."""
    name = _name(group)
    out = []
    for element, (low, high) in _RANGES.items():
        if element not in filled:
            continue
        numbers = values.integers(ds, group, element, low, high)
        known = _dictionary(element)
        keyword = known[0] if known else f"({group_hex(group)},{element:04X})"
        if numbers is None:
            out.append(_finding(
                "value-unreadable", group,
                f"{name} has {keyword} {_short(filled[element].value)}, which is not a number "
                f"from {low} to {high}; it was treated as absent.",
            ))
        elif element == reading.ORIGIN and len(numbers) != 2:
            out.append(_finding(
                "origin-invalid", group,
                f"{name} has an Overlay Origin of {len(numbers)} value(s) instead of two "
                "(row\\column); 1\\1 was assumed.",
            ))
    return out


def _embedded_findings(
    ds: Dataset, group: int, bits_allocated: int, bit_position: int, info: ImageInfo | None
) -> list[Finding]:
    name = _name(group)
    if info is None or not info.has_pixel_data:
        return [_finding(
            "embedded-no-pixel-data", group,
            f"{name} is embedded in Pixel Data (Overlay Bits Allocated {bits_allocated}), "
            "but the file has no Pixel Data.",
        )]
    if info.compressed:
        return [_finding(
            "embedded-compressed", group,
            f"{name} is embedded in compressed Pixel Data ({info.transfer_syntax_name}), "
            "from which overlay bits cannot be read.",
        )]
    out = []
    if bits_allocated != info.bits_allocated:
        out.append(_finding(
            "bits-allocated-mismatch", group,
            f"{name} has Overlay Bits Allocated {bits_allocated} but the image's Bits Allocated "
            f"is {info.bits_allocated}; they must match for a plane embedded in Pixel Data.",
        ))
    if not 0 <= bit_position < info.bits_allocated:
        out.append(_finding(
            "bit-position-out-of-range", group,
            f"{name} has Overlay Bit Position {bit_position}, outside the image's "
            f"{info.bits_allocated}-bit pixel words (0 to {info.bits_allocated - 1}).",
        ))
    elif bit_position <= info.high_bit:
        out.append(_finding(
            "bit-position-in-image-data", group,
            f"{name} uses bit {bit_position} of Pixel Data, which also holds image data "
            f"(High Bit is {info.high_bit}); expected a bit above High Bit.",
        ))
    rows = _read(ds, group, reading.ROWS)
    cols = _read(ds, group, reading.COLUMNS)
    if (rows, cols) != (info.rows, info.columns) or info.samples_per_pixel != 1:
        out.append(_finding(
            "embedded-size-mismatch", group,
            f"{name} is embedded in Pixel Data with size {rows} x {cols}, but the image is "
            f"{info.rows} x {info.columns} with {info.samples_per_pixel} sample(s) per pixel "
            "(expected the same size and 1 sample).",
        ))
    out.append(_finding(
        "embedded-retired", group,
        f"{name} is a retired plane embedded in bit {bit_position} of Pixel Data, which many "
        "viewers ignore; migrate it to Overlay Data (python -m overlay_core migrate).",
    ))
    return out


def _unusable(ds: Dataset, group: int, exc: OverlayError) -> Finding:
    """Name the reason :func:`reading.unpack_plane` refused a group whose header looked fine."""
    elem = ds.get(reading.tag(group, reading.DATA))
    rows = _read(ds, group, reading.ROWS) or 0
    cols = _read(ds, group, reading.COLUMNS) or 0
    frames = max(1, _read(ds, group, reading.FRAMES) or 1)
    value = elem.value if elem is not None else None
    if isinstance(value, (bytes, bytearray)):
        nbits = frames * rows * cols
        if nbits - len(value) * 8 > bits.MAX_SHORT_BITS:
            return _finding(
                "data-too-short", group,
                f"{_name(group)} has {len(value)} bytes of Overlay Data but its size of {frames} "
                f"frame(s) of {rows} x {cols} pixels needs {bits.expected_length(frames, rows, cols)} bytes.",
            )
    return _finding("plane-unusable", group, str(exc))


def _data_findings(ds: Dataset, plane: OverlayPlane, unpacked: list[Finding]) -> list[Finding]:
    if plane.embedded or plane.data_length is None:
        return []
    name = _name(plane.group)
    out = []
    if plane.data_length % 2 and not any(f.code == "missing-pad" for f in unpacked):
        out.append(_finding(
            "odd-length", plane.group,
            f"{name} Overlay Data has an odd length of {plane.data_length} bytes; "
            "DICOM values must have an even length.",
        ))
    if plane.vr == "OB" and reading.image_info(ds).transfer_syntax == _IMPLICIT_VR:
        out.append(_finding(
            "vr-ob-implicit", plane.group,
            f"{name} Overlay Data is OB, but Implicit VR Little Endian requires OW.",
        ))
    return out


def _placement_findings(plane: OverlayPlane, info: ImageInfo) -> list[Finding]:
    name = _name(plane.group)
    out = []
    window = plane_window(plane, info.rows, info.columns)
    r0, c0 = origin_offset(plane.origin)
    if window is not None and (window[2].stop - window[2].start, window[3].stop - window[3].start) != (
            plane.rows, plane.columns):
        rows, cols = window[0], window[1]  # 0-based image slices, said 1-based below
        out.append(_finding(
            "plane-partly-outside", plane.group,
            f"{name} lies partly outside the {info.rows} x {info.columns} image: its origin "
            f"{plane.origin[0]}\\{plane.origin[1]} puts its {plane.rows} x {plane.columns} pixels "
            f"at rows {r0 + 1} to {r0 + plane.rows} and columns {c0 + 1} to {c0 + plane.columns}, "
            f"of which only rows {rows.start + 1} to {rows.stop} and columns {cols.start + 1} to "
            f"{cols.stop} are on the image and shown.",
        ))
    if window is None:
        out.append(_finding(
            "origin-outside-image", plane.group,
            f"{name} lies wholly outside the {info.rows} x {info.columns} image: its origin "
            f"{plane.origin[0]}\\{plane.origin[1]} puts its {plane.rows} x {plane.columns} pixels "
            f"at rows {r0 + 1} to {r0 + plane.rows} and columns {c0 + 1} to {c0 + plane.columns}.",
        ))
    shown = len(frame_map(plane, info.frames))
    if plane.frame_specific and shown < plane.frames:
        out.append(_finding(
            "frames-beyond-image", plane.group,
            f"{name} has {plane.frames} frame(s) starting at image frame {plane.image_frame_origin}, "
            f"but the image has {info.frames}; {plane.frames - shown} of them lie beyond it "
            "and are not shown.",
        ))
    return out
