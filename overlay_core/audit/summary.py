"""Summaries of a file: its image, every usable plane and the diagnostics, ready for JSON or text.

:func:`info_document` is the schema ``python -m overlay_core info --json`` prints (see the
README); :func:`info_lines` is the text ``info`` prints.

>>> from pydicom.dataset import Dataset
>>> doc = info_document(Dataset(), "empty.dcm")
>>> doc["image"]["rows"], doc["overlays"], doc["diagnostics"]
(0, [], [])
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydicom.dataset import Dataset

from overlay_core.audit.diagnostics import diagnose
from overlay_core.errors import OverlayError
from overlay_core.model import Finding, ImageInfo, OverlayPlane, group_hex
from overlay_core.planes.reading import image_info, read_planes

__all__ = ["finding_document", "info_document", "info_lines", "plane_document"]


def _value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return str(value) if isinstance(value, str) else value


def plane_document(plane: OverlayPlane) -> dict[str, Any]:
    """Return a plane as a JSON-ready dict (``group`` as hex, ``origin`` as ``[row, col]``)."""
    doc: dict[str, Any] = {"group": plane.group_hex}
    for key, value in dataclasses.asdict(plane).items():
        if key != "group":
            doc[key] = _value(value)
    return doc


def finding_document(finding: Finding) -> dict[str, Any]:
    """Return a finding as a JSON-ready dict (``group`` as hex or ``None``)."""
    return {
        "severity": finding.severity.value,
        "code": finding.code,
        "group": None if finding.group is None else group_hex(finding.group),
        "message": finding.message,
    }


def info_document(ds: Dataset, file: str | None = None) -> dict[str, Any]:
    """Return what ``info --json`` prints: ``file``, ``image``, ``overlays``, ``diagnostics``.

    ``image`` is ``None`` when the image's own attributes are unusable (a diagnostic
    says why).
    """
    try:
        info: ImageInfo | None = image_info(ds)
    except OverlayError:
        info = None
    return {
        "file": file,
        "image": None if info is None else dataclasses.asdict(info),
        "overlays": [plane_document(p) for p in read_planes(ds)],
        "diagnostics": [finding_document(f) for f in diagnose(ds)],
    }


def info_lines(doc: dict[str, Any], groups: int) -> list[str]:
    """Return the lines ``info`` prints: an :func:`info_document` of a file with ``groups`` groups."""
    lines = [f"File: {doc['file']}"]
    image = doc["image"]
    if image is None:
        lines.append("Image: unusable (see diagnostics)")
    elif image["rows"] == 0:
        lines.append(f"Image: none (no Rows/Columns; {image['transfer_syntax_name']})")
    else:
        lines.append(
            f"Image: {image['frames']} frame(s) of {image['rows']} x {image['columns']}, "
            f"{image['photometric'] or 'no photometric interpretation'}, "
            f"{image['bits_allocated']} bits allocated ({image['bits_stored']} stored, high bit "
            f"{image['high_bit']}), {image['transfer_syntax_name']}"
            f"{' (compressed)' if image['compressed'] else ''}"
        )
    lines.append(f"Overlays: {len(doc['overlays'])} usable of {groups} group(s)")
    for plane in doc["overlays"]:
        lines.append(f"  {plane['group']}:")
        for key, value in plane.items():
            if key != "group":
                lines.append(f"    {key}: {value}")
    lines.append(f"Diagnostics: {len(doc['diagnostics']) or 'none'}")
    for f in doc["diagnostics"]:
        where = f" {f['group']}" if f["group"] else ""
        lines.append(f"  [{f['severity']}] {f['code']}{where}: {f['message']}")
    return lines
