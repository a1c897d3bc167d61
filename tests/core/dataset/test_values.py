"""The one attribute-value reader: wrong VR and VM are read where clear, never a TypeError."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from overlay_core.dataset import values
from overlay_core.dataset.values import INT, S16, U16, integer, integers, number, parse_integers, text


@pytest.mark.parametrize(
    ("value", "vr", "bounds", "expected"),
    [
        (7, "US", U16, [7]),
        ("3\\4", "IS", INT, [3, 4]),
        (" 12 ", "DS", INT, [12]),
        ("12.0", "DS", INT, [12]),
        ("12.5", "DS", INT, None),
        (3.0, "FL", S16, [3]),
        (float("nan"), "FL", S16, None),
        (b"\x08\x00", "OW", U16, [8]),
        (b"\xff\xff\x02\x00", "OW", S16, [-1, 2]),
        (b"\x08\x00\x00", "OW", U16, None),           # odd length: not 16-bit words
        (b"\x10", "OB", U16, [16]),
        (b"\x00" * 200, "OW", U16, None),              # far more words than any element holds
        ("abc", "LO", U16, None),
        ("1e400", "DS", INT, None),
        (70000, "UL", U16, None),                      # out of the US range
        (-1, "SS", U16, None),
        ("9" * 40, "IS", INT, None),
        (True, "US", U16, None),
    ],
)
def test_parse_integers(value: object, vr: str, bounds: tuple[int, int], expected: list[int] | None) -> None:
    assert parse_integers(value, *bounds, vr=vr) == expected


def test_big_endian_words() -> None:
    assert parse_integers(b"\x00\x08", *U16, vr="OW", big_endian=True) == [8]


def _ds(vr: str, value: object, element: int = 0x0010) -> Dataset:
    ds = Dataset()
    ds.add_new(0x60000000 | element, vr, value)
    return ds


@pytest.mark.parametrize(
    ("vr", "value", "expected"),
    [("PN", "512", 512), ("LO", "x", None), ("US", None, None), ("SQ", [], None), ("UN", b"\x02\x00", 2)],
)
def test_integer_any_vr(vr: str, value: object, expected: int | None) -> None:
    assert integer(_ds(vr, value), 0x6000, 0x0010, None, *U16) == expected


def test_absent_empty_and_unreadable_differ() -> None:
    assert integers(Dataset(), 0x6000, 0x0010) == []
    assert integers(_ds("US", None), 0x6000, 0x0010) == []
    assert integers(_ds("LO", "abc"), 0x6000, 0x0010) is None


def test_number_and_text() -> None:
    assert number(_ds("DS", "1.5\\2", 0x1302), 0x6000, 0x1302) == 1.5
    assert number(_ds("OB", b"\x01\x00", 0x1302), 0x6000, 0x1302) is None
    assert number(_ds("DS", "inf", 0x1302), 0x6000, 0x1302) is None
    assert text(_ds("CS", ["G", "R"], 0x0040), 0x6000, 0x0040) == "G\\R"
    assert text(_ds("LO", "x" * 2000, 0x1500), 0x6000, 0x1500) == "x" * 1024
    assert values.element_value(_ds("LO", "", 0x1500), 0x6000, 0x1500) is None
