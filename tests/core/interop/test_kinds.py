"""One dispatcher for derived files (``interop.kinds``): the app, the CLI and batch make the same."""

from __future__ import annotations

import numpy as np
import pytest

from overlay_core.errors import InvalidArgumentError
from overlay_core.interop.kinds import DerivedKind, covered_frame, derived_bytes
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load
from overlay_core.render.styles import default_color
from tests import builders as b
from tests.formats_support import mr_series, with_planes

SOP_CLASSES = {
    DerivedKind.SEG: "1.2.840.10008.5.1.4.1.1.66.4",
    DerivedKind.GSPS: "1.2.840.10008.5.1.4.1.1.11.1",
    DerivedKind.SC: "1.2.840.10008.5.1.4.1.1.7",
    DerivedKind.RTSTRUCT: "1.2.840.10008.5.1.4.1.1.481.3",
}


@pytest.mark.parametrize("kind", list(DerivedKind))
def test_each_kind_is_made_and_references_the_image(kind: DerivedKind) -> None:
    # An RT Structure Set needs patient geometry, which the plain two-plane file lacks.
    ds = with_planes(mr_series(count=1))[0] if kind is DerivedKind.RTSTRUCT else load(b.two_plane_file()[0])
    made = load(derived_bytes(ds, kind.value.upper(), series_uid="1.2.3.4"))
    assert made.SOPClassUID == SOP_CLASSES[kind]
    assert made.SeriesInstanceUID == "1.2.3.4" and made.StudyInstanceUID == ds.StudyInstanceUID


def test_the_burned_in_image_paints_each_chosen_plane_solid() -> None:
    data, _ = b.roi_file()  # a type R plane: solid, as the CLI's render draws it
    ds = load(data)
    sc = load(derived_bytes(ds, "sc", [0x6000]))
    pixels = sc.pixel_array
    placed = image_mask(ds, 0x6000)[0]
    assert placed.any()
    assert np.array_equal(pixels[placed], np.tile(default_color(0x6000), (int(placed.sum()), 1)))


def test_kinds_are_a_choice_with_one_message() -> None:
    assert DerivedKind.coerce("Gsps") is DerivedKind.GSPS and DerivedKind.GSPS.suffix == "pr"
    message = 'The derived kind must be "seg", "gsps", "sc" or "rtstruct", not "png"'
    with pytest.raises(InvalidArgumentError, match=message):
        DerivedKind.coerce("png")


def test_the_frame_a_file_covers() -> None:
    multi = load(b.multiframe_file()[0])
    single = load(b.two_plane_file()[0])
    assert covered_frame(multi, "seg", None, 2) is None
    assert covered_frame(multi, "sc", None, 2) == 2 and covered_frame(single, "sc", None, 0) is None
    assert covered_frame(multi, "gsps", None, 2) == 2  # its planes differ per frame
    assert covered_frame(single, "gsps", None, 0) is None
