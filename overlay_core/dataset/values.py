r"""The one reader of attribute values, for reading, diagnostics and history alike.

Files store overlay attributes with the wrong VR or VM: (60xx,0050) *Overlay Origin* as a
single DS or FL, (60xx,0010) *Overlay Rows* as PN, (60xx,0100) *Overlay Bits Allocated*
as OW bytes. Every module reads such values through this one module, so they agree on
what a value means: a value is read where its meaning is clear (``"8"`` as PN is 8; two
little-endian bytes of an OW are one 16-bit word) and is *unreadable* otherwise (text
that is not a number, a number outside the element's range, bytes of the wrong length).
Nothing here raises for a value of the wrong type.

>>> from pydicom.dataset import Dataset
>>> ds = Dataset()
>>> ds.add_new(0x60000010, "PN", "512"); ds.add_new(0x60000050, "DS", "3")
>>> ds.add_new(0x60000100, "OW", b"\x08\x00")
>>> integer(ds, 0x6000, 0x0010), integers(ds, 0x6000, 0x0050), integer(ds, 0x6000, 0x0100)
(512, [3], 8)
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

__all__ = [
    "INT",
    "S16",
    "U16",
    "element_value",
    "integer",
    "integers",
    "number",
    "parse_integers",
    "tag",
    "text",
]

#: Value ranges: unsigned 16-bit (US), signed 16-bit (SS) and any 32-bit integer (IS).
U16 = (0, 0xFFFF)
S16 = (-0x8000, 0x7FFF)
INT = (-(1 << 31), (1 << 31) - 1)

_WORD_VRS = {"OW": 2, "US": 2, "SS": 2, "UL": 4, "SL": 4, "OL": 4}


def tag(group: int, element: int) -> int:
    """Return the 32-bit tag ``(group, element)``.

    >>> hex(tag(0x6000, 0x3000))
    '0x60003000'
    """
    return (group << 16) | element


def element_value(ds: Dataset, group: int, element: int) -> Any:
    """Return the value of ``(group, element)``, or ``None`` when absent or empty."""
    elem = ds.get(tag(group, element))
    if elem is None:
        return None
    value = elem.value
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, (list, tuple)) and len(value) == 0:
        return None
    return value


def _one(value: Any, low: int, high: int) -> int | None:
    """Read one scalar as an integer in ``[low, high]``, or ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = int(value)  # a plain int, never pydicom's IS (its repr is quoted)
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return None
        number = int(value)
    else:
        try:
            raw = str(value).strip()
        except Exception:  # a value whose str() fails is unreadable
            return None
        if not raw or len(raw) > 32:
            return None
        try:
            number = int(raw)
        except ValueError:
            try:
                parsed = float(raw)
            except ValueError:
                return None
            if not math.isfinite(parsed) or parsed != int(parsed):
                return None
            number = int(parsed)
    return number if low <= number <= high else None


def parse_integers(
    value: Any, low: int, high: int, vr: str = "", big_endian: bool = False
) -> list[int] | None:
    r"""Read an element value as a list of integers, or ``None`` when it cannot be.

    Parameters
    ----------
    value : object
        The element's value as pydicom gives it: ``int``, ``float``, ``str`` (``"3\\4"``),
        a person name, ``bytes`` or a list of these.
    low, high : int
        The range every integer must lie in (:data:`U16`, :data:`S16`, :data:`INT`).
    vr : str
        The element's VR, which says how ``bytes`` are split into words (OB: bytes;
        US, SS, OW: 16-bit; UL, SL, OL: 32-bit).
    big_endian : bool
        The byte order of ``bytes`` values.

    Returns
    -------
    list of int or None
        Empty for an empty value.

    Examples
    --------
    >>> parse_integers("3\\-4", *S16), parse_integers(2.0, *U16), parse_integers("x", *U16)
    ([3, -4], [2], None)
    >>> parse_integers(b"\xff\xff", *S16, vr="OW"), parse_integers(70000, *U16)
    ([-1], None)
    """
    if value is None:
        return []
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        size = _WORD_VRS.get(vr, 1 if vr == "OB" else 2)
        if len(raw) % size:
            return None
        signed = low < 0
        order: Literal["big", "little"] = "big" if big_endian else "little"
        if len(raw) > 64:  # more words than any of these elements holds
            return None
        words = [int.from_bytes(raw[i:i + size], order, signed=signed) for i in range(0, len(raw), size)]
        return words if all(low <= w <= high for w in words) else None
    if isinstance(value, str) and "\\" in value:
        value = value.split("\\")
    if isinstance(value, (list, tuple, MultiValue)):
        items = list(value)
        if len(items) > 64:
            return None
        out = []
        for item in items:
            number = _one(item, low, high)
            if number is None:
                return None
            out.append(number)
        return out
    number = _one(value, low, high)
    return None if number is None else [number]


def _big_endian(ds: Dataset) -> bool:
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    return str(ts or "") == "1.2.840.10008.1.2.2"


def integers(
    ds: Dataset, group: int, element: int, low: int = INT[0], high: int = INT[1]
) -> list[int] | None:
    """Return the integers of ``(group, element)``: ``[]`` when absent or empty, ``None`` when unreadable.

    See :func:`parse_integers` for what is readable.
    """
    elem = ds.get(tag(group, element))
    if elem is None:
        return []
    try:
        return parse_integers(element_value(ds, group, element), low, high, str(elem.VR), _big_endian(ds))
    except RecursionError:  # a value nested absurdly deep
        return None


def integer(
    ds: Dataset, group: int, element: int, default: int | None = None,
    low: int = INT[0], high: int = INT[1],
) -> int | None:
    """Return the first integer of ``(group, element)``, or ``default`` when absent, empty or unreadable.

    >>> ds = Dataset(); ds.add_new(0x60000010, "LO", "abc")
    >>> integer(ds, 0x6000, 0x0010, 0), integer(ds, 0x6000, 0x0011, 7)
    (0, 7)
    """
    values = integers(ds, group, element, low, high)
    return values[0] if values else default


def number(ds: Dataset, group: int, element: int) -> float | None:
    """Return the first value of ``(group, element)`` as a finite float, or ``None``.

    >>> ds = Dataset(); ds.add_new(0x60001302, "DS", "2.5")
    >>> number(ds, 0x6000, 0x1302), number(ds, 0x6000, 0x1303)
    (2.5, None)
    """
    value = element_value(ds, group, element)
    if isinstance(value, (bytes, bytearray, memoryview)) or value is None:
        return None
    if isinstance(value, str) and "\\" in value:
        value = value.split("\\")[0]
    if not isinstance(value, (str, int, float)) and hasattr(value, "__len__"):
        try:
            value = value[0] if len(value) else None
        except Exception:
            return None
    try:
        result = float(str(value).strip()) if value is not None else None
    except (TypeError, ValueError):
        return None
    return result if result is not None and math.isfinite(result) else None


def text(ds: Dataset, group: int, element: int, limit: int = 1024) -> str:
    r"""Return the value of ``(group, element)`` as stripped text ('' when absent or binary).

    Several values are joined by ``\``; text longer than ``limit`` characters is cut.

    >>> ds = Dataset(); ds.add_new(0x60001500, "LO", " Label "); ds.add_new(0x60000040, "OB", b"G ")
    >>> text(ds, 0x6000, 0x1500), text(ds, 0x6000, 0x0040)
    ('Label', '')
    """
    value = element_value(ds, group, element)
    if value is None or isinstance(value, (bytes, bytearray, memoryview)):
        return ""
    if not isinstance(value, str) and hasattr(value, "__iter__"):
        try:
            value = "\\".join(str(v) for v in value)
        except Exception:
            return ""
    try:
        out = str(value).strip()
    except Exception:
        return ""
    return out[:limit]
