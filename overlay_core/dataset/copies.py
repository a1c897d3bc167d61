"""Copies of datasets and elements that never hit Python's recursion limit.

``copy.deepcopy`` recurses several frames per sequence level, so a file with sequences
nested ~120 deep (which pydicom reads fine) raises ``RecursionError``. These copies walk
the sequences with an explicit stack instead. ``bytes`` values are immutable and stay
shared, so copying a dataset does not copy its Pixel Data; lists of values are copied,
so changing a copy's multi-valued element never changes the original.
"""

from __future__ import annotations

import copy
from typing import Any, overload

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

__all__ = ["copy_dataset", "copy_element"]

Element = DataElement | RawDataElement


def _empty_like(ds: Dataset) -> Dataset:
    """Return a dataset with ``ds``'s attributes (encoding, flags) but no elements."""
    new = copy.copy(ds)
    new._dict = {}
    new._private_blocks = {}
    new._pixel_array = None
    new._pixel_id = {}
    meta = getattr(ds, "file_meta", None)
    if isinstance(meta, Dataset) and meta is not ds:
        meta_copy = FileMetaDataset()
        _copy_into(meta, meta_copy, [])  # raw elements as they are: no conversion here
        new.file_meta = meta_copy
    return new


def _flat_copy(elem: DataElement) -> DataElement:
    new = copy.copy(elem)
    value = elem._value
    if isinstance(value, (MultiValue, list)):  # flat lists of scalars: deepcopy is shallow here
        new._value = copy.deepcopy(value)
    return new


def _copy_into(src: Dataset, dst: Dataset, stack: list[tuple[Dataset, Dataset]]) -> None:
    for key in list(src._dict):
        raw: Any = src._dict[key]
        if isinstance(raw, RawDataElement):
            dst._dict[key] = raw  # immutable: shared
            continue
        elem: DataElement = raw
        if elem.VR == "SQ" and isinstance(elem._value, Sequence):
            items = []
            for item in elem._value:
                new_item = _empty_like(item)
                stack.append((item, new_item))
                items.append(new_item)
            new = copy.copy(elem)
            seq = Sequence(items)
            seq.is_undefined_length = getattr(elem._value, "is_undefined_length", False)
            new._value = seq
            dst._dict[key] = new
        else:
            dst._dict[key] = _flat_copy(elem)


def copy_dataset(ds: Dataset) -> Dataset:
    """Return an independent copy of ``ds``, however deep its sequences are.

    >>> ds = Dataset(); ds.ImageType = ["ORIGINAL", "PRIMARY"]
    >>> twin = copy_dataset(ds); twin.ImageType[0] = "DERIVED"
    >>> ds.ImageType[0], twin.ImageType[0]
    ('ORIGINAL', 'DERIVED')
    """
    root = _empty_like(ds)
    stack: list[tuple[Dataset, Dataset]] = [(ds, root)]
    while stack:
        src, dst = stack.pop()
        _copy_into(src, dst, stack)
    return root


@overload
def copy_element(elem: DataElement) -> DataElement: ...


@overload
def copy_element(elem: RawDataElement) -> RawDataElement: ...


def copy_element(elem: Element) -> Element:
    """Return an independent copy of one element (a sequence's items copied too)."""
    if isinstance(elem, RawDataElement):
        return elem
    if elem.VR == "SQ" and isinstance(elem._value, Sequence):
        holder = Dataset()
        holder._dict[elem.tag] = elem
        copied: Element = copy_dataset(holder)._dict[elem.tag]
        return copied
    return _flat_copy(elem)
