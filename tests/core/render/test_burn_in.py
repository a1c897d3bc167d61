"""``overlay_core.render.burn_in``: planes placed beside the windowing give the same image and errors."""

from __future__ import annotations

import numpy as np
import pytest

from overlay_core.errors import PlaneNotFoundError, UnsupportedError
from overlay_core.planes.reading import load
from overlay_core.render.burn_in import burn_in_pixels, burn_in_styles
from overlay_core.render.compose import render
from tests import builders as b


def test_the_burn_in_is_the_render_of_its_styles() -> None:
    ds = load(b.all_groups_file()[0])
    expected = render(ds, styles=burn_in_styles(ds)).image  # planes placed after the frame, in turn
    assert np.array_equal(burn_in_pixels(ds), expected)
    small = render(ds, styles=burn_in_styles(ds), max_size=7).image
    assert np.array_equal(burn_in_pixels(ds, max_size=7), small)


def test_a_missing_plane_is_its_error() -> None:
    ds = load(b.two_plane_file()[0])
    with pytest.raises(PlaneNotFoundError, match="6008"):
        burn_in_pixels(ds, groups=[0x6000, 0x6008])


def test_an_image_that_cannot_be_shown_is_reported_before_a_missing_plane() -> None:
    ds = load(b.two_plane_file()[0])
    ds.PhotometricInterpretation = "HSV"
    with pytest.raises(UnsupportedError, match="Photometric Interpretation HSV"):
        burn_in_pixels(ds, groups=[0x6000, 0x6008])
