"""A writer that loses a plane, to test that every write is read back and checked."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from overlay_core.dataset.copies import copy_dataset
from overlay_core.planes import writing
from overlay_core.planes.reading import overlay_groups


def lossy_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``to_bytes`` lose the first overlay plane (or, when there is none, gain one)."""
    real = writing.to_bytes

    def lose_a_plane(ds: Dataset, new_sop_instance_uid: bool = False) -> bytes:
        broken = copy_dataset(ds)
        groups = overlay_groups(broken)
        if groups:
            writing.delete_plane(broken, groups[0])
        else:
            writing.new_plane(broken)
        return real(broken, new_sop_instance_uid=new_sop_instance_uid)

    monkeypatch.setattr(writing, "to_bytes", lose_a_plane)
