"""Undo and redo of plane edits, bounded by memory.

A history item is a snapshot of the dataset's overlay state taken *before* a change:
every element of the 16 overlay groups (60xx, even), and (7FE0,0010) *Pixel Data* when a
plane is embedded in it (migrating or deleting such a plane clears its bit there), and the
few header attributes that overlay de-identification changes (:data:`ALSO_TRACKED`). Values
are kept packed, as stored: Overlay Data is a few kilobytes per plane, and ``bytes`` are
immutable, so snapshots share them by reference instead of copying them; elements
themselves are copied, because pydicom changes an element's value in place on
``ds.Attribute = value``. Restoring a snapshot puts those elements back, so
:func:`overlay_core.planes.writing.to_bytes` gives exactly the bytes it gave before the change.

Memory is bounded twice: at most ``max_items`` undo steps (100 by default), and at most
``max_bytes`` of distinct values held by all snapshots together (64 MiB by default, per
file: keep one :class:`History` per open file). The oldest steps are dropped first; a
single step larger than the budget is not kept at all (:meth:`History.record` returns
``False`` and the change cannot be undone).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset

from overlay_core.dataset.copies import copy_element
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OVERLAY_GROUPS
from overlay_core.planes.reading import DATA, plane_bits_allocated, tag

__all__ = ["ALSO_TRACKED", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_ITEMS", "History"]

#: Outside the 60xx groups, what overlay de-identification (:mod:`overlay_core.deid`) changes,
#: so that it is one undoable step too: (0008,0024) Overlay Date, (0008,0034) Overlay Time,
#: (0012,0062) Patient Identity Removed, (0012,0063) De-identification Method and (0012,0064)
#: its Code Sequence.
ALSO_TRACKED = frozenset({0x00080024, 0x00080034, 0x00120062, 0x00120063, 0x00120064})

#: The default memory budget of one file's history: 64 MiB.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: The default number of undo steps kept.
DEFAULT_MAX_ITEMS = 100

PIXEL_DATA = 0x7FE00010
_ELEMENT_OVERHEAD = 100  # a rough size of an element besides its value, in bytes

Element = DataElement | RawDataElement


@dataclass(frozen=True)
class _Snapshot:
    """The overlay state of a dataset, and the label of the change it precedes."""

    label: str
    elements: tuple[tuple[int, Element], ...]
    pixel_data: Element | None  # only when a plane is embedded in Pixel Data
    with_pixel_data: bool


def _value(elem: Element) -> object:
    return elem.value


def _copy(elem: Element) -> Element:
    """Copy an element; ``bytes`` values are immutable and stay shared."""
    return copy_element(elem)


def _overlay_tags(ds: Dataset) -> list[int]:
    return [int(t) for t in ds.keys() if int(t) >> 16 in OVERLAY_GROUPS or int(t) in ALSO_TRACKED]


def _has_embedded(ds: Dataset) -> bool:
    groups = {int(t) >> 16 for t in ds.keys()} & set(OVERLAY_GROUPS)
    return any(tag(group, DATA) not in ds and plane_bits_allocated(ds, group) > 1 for group in groups)


def _take(ds: Dataset, label: str, with_pixel_data: bool = False) -> _Snapshot:
    elements = []
    for t in _overlay_tags(ds):
        elem = ds.get_item(t)
        if isinstance(elem, (DataElement, RawDataElement)):
            elements.append((t, _copy(elem)))
    with_pixel_data = with_pixel_data or _has_embedded(ds)
    pixel_data = None
    if with_pixel_data and PIXEL_DATA in ds:
        raw = ds.get_item(PIXEL_DATA)
        if isinstance(raw, (DataElement, RawDataElement)):
            pixel_data = raw if isinstance(raw, RawDataElement) else copy.copy(raw)
    return _Snapshot(label, tuple(elements), pixel_data, with_pixel_data)


def _restore(ds: Dataset, snap: _Snapshot) -> None:
    for t in _overlay_tags(ds):
        del ds[t]
    for t, elem in snap.elements:
        ds[t] = _copy(elem)
    if snap.with_pixel_data:
        if snap.pixel_data is None:
            if PIXEL_DATA in ds:
                del ds[PIXEL_DATA]
        else:
            current = ds.get_item(PIXEL_DATA) if PIXEL_DATA in ds else None
            if current is None or _value(current) is not _value(snap.pixel_data):
                ds[PIXEL_DATA] = snap.pixel_data if isinstance(snap.pixel_data, RawDataElement) \
                    else copy.copy(snap.pixel_data)


def _same(a: _Snapshot, b: _Snapshot) -> bool:
    """Whether two snapshots hold the same overlay state."""
    if [t for t, _ in a.elements] != [t for t, _ in b.elements]:
        return False
    for (_, ea), (_, eb) in zip(a.elements, b.elements, strict=True):
        if ea.VR != eb.VR or _value(ea) != _value(eb):
            return False
    pa = None if a.pixel_data is None else _value(a.pixel_data)
    pb = None if b.pixel_data is None else _value(b.pixel_data)
    return pa is pb or pa == pb


def _values(snap: _Snapshot) -> Iterator[object]:
    for _, elem in snap.elements:
        yield _value(elem)
    if snap.pixel_data is not None:
        yield _value(snap.pixel_data)


class History:
    r"""Undo/redo for one file's plane edits.

    Call :meth:`record` just before each change (one drawing applied, one operation),
    or wrap the change in :meth:`change`, which also drops the item when the change
    fails or changes nothing.

    Parameters
    ----------
    max_bytes : int
        Memory budget for the values the snapshots hold (64 MiB by default).
    max_items : int
        The most undo steps kept (100 by default).

    Examples
    --------
    >>> import numpy as np
    >>> from overlay_core.planes.writing import set_plane
    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> history = History()
    >>> with history.change(ds, "Clear"):
    ...     _ = set_plane(ds, 0x6000, np.zeros((2, 2), bool))
    >>> history.undo_label, history.undo(ds), history.redo_label
    ('Clear', 'Clear', 'Clear')
    >>> bytes(ds[0x60003000].value)
    b'\t\x00'
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        if max_bytes < 0 or max_items < 1:
            raise InvalidArgumentError(
                f"A history needs max_items >= 1 and max_bytes >= 0, not {max_items} and {max_bytes}."
            )
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._undo: deque[_Snapshot] = deque()
        self._redo: list[_Snapshot] = []

    # --- state ---

    @property
    def can_undo(self) -> bool:
        """Whether there is a change to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone change to redo."""
        return bool(self._redo)

    @property
    def undo_label(self) -> str | None:
        """The label of the change :meth:`undo` would undo, or ``None``."""
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        """The label of the change :meth:`redo` would redo, or ``None``."""
        return self._redo[-1].label if self._redo else None

    @property
    def undo_labels(self) -> list[str]:
        """Labels of the undoable changes, newest first."""
        return [s.label for s in reversed(self._undo)]

    @property
    def redo_labels(self) -> list[str]:
        """Labels of the redoable changes, next first."""
        return [s.label for s in reversed(self._redo)]

    @property
    def nbytes(self) -> int:
        """The memory the snapshots hold: distinct values counted once."""
        seen: set[int] = set()
        total = 0
        for snap in (*self._undo, *self._redo):
            total += _ELEMENT_OVERHEAD * len(snap.elements)
            for value in _values(snap):
                if id(value) in seen:
                    continue
                seen.add(id(value))
                if isinstance(value, (bytes, bytearray, memoryview)):
                    total += len(value)
        return total

    def __len__(self) -> int:
        return len(self._undo)

    def clear(self) -> None:
        """Forget every step."""
        self._undo.clear()
        self._redo.clear()

    # --- changes ---

    def record(self, ds: Dataset, label: str) -> bool:
        """Snapshot ``ds`` before a change labelled ``label``; the redo steps are dropped.

        Returns
        -------
        bool
            ``False`` when this step alone exceeds the memory budget and was not kept.
        """
        self._undo.append(_take(ds, label))
        self._redo.clear()
        return self._trim()

    def _trim(self) -> bool:
        while len(self._undo) > self.max_items:
            self._undo.popleft()
        while self._undo and self.nbytes > self.max_bytes:
            self._undo.popleft()
        return bool(self._undo)

    @contextmanager
    def change(self, ds: Dataset, label: str) -> Iterator[None]:
        """Record a step around a change; drop it if the change raises or changes nothing.

        When the change raises, the dataset is restored to the snapshot taken before it
        (so a step of several calls never stays half done) and the exception is re-raised.
        """
        redo = list(self._redo)
        before = _take(ds, label, with_pixel_data=PIXEL_DATA in ds)
        kept = self.record(ds, label)
        try:
            yield
        except BaseException:
            _restore(ds, before)
            if kept and self._undo:
                self._undo.pop()
            self._redo = redo
            raise
        if kept and self._undo and _same(self._undo[-1], _take(ds, label)):
            self._undo.pop()
            self._redo = redo

    def undo(self, ds: Dataset) -> str | None:
        """Restore the state before the last change; return its label (``None``: nothing to undo)."""
        if not self._undo:
            return None
        snap = self._undo.pop()
        self._redo.append(_take(ds, snap.label, snap.with_pixel_data))
        _restore(ds, snap)
        return snap.label

    def redo(self, ds: Dataset) -> str | None:
        """Redo the last undone change; return its label (``None``: nothing to redo)."""
        if not self._redo:
            return None
        snap = self._redo.pop()
        self._undo.append(_take(ds, snap.label, snap.with_pixel_data))
        _restore(ds, snap)
        self._trim()
        return snap.label
