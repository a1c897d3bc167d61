"""Cached rendering of a file's view to PNG, keyed by content digest and view.

:func:`overlay_core.render.compose.render` does the work; this module only caches its PNG in a
bounded ``st.cache_data``. The cache key is the file's content digest
(:func:`studio.state.content_key`) and the view's parameters, so two sessions share an
entry only when they hold exactly the same content; the dataset itself is passed as an
unhashed ``_ds`` argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from pydicom.dataset import Dataset

from overlay_core.errors import OverlayError
from overlay_core.render.compose import render
from overlay_core.render.geometry import Region, ViewGeometry
from overlay_core.render.pixels import modality_frame
from overlay_core.render.styles import PlaneStyle
from overlay_core.render.windowing import Voi
from studio.state import LoadedFile, content_key, pixel_key

__all__ = ["MAX_DISPLAY", "Rendered", "intensity_range", "render_view"]

#: The longest side of an image sent to the browser for viewing.
MAX_DISPLAY = 1024
#: Cached views (a 1024 x 1024 RGB PNG is at most ~3 MB).
CACHE_ENTRIES = 48


@dataclass(frozen=True)
class Rendered:
    """A rendered view: PNG bytes and how the view maps to the image."""

    png: bytes
    geometry: ViewGeometry
    voi: Voi | None
    missing_reason: str | None


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached(
    key: str,
    frame: int,
    voi: Voi | None,
    styles: tuple[PlaneStyle, ...] | None,
    max_size: int | None,
    region: Region | None,
    width: int | None,
    _ds: Dataset,
) -> Rendered:
    view = render(_ds, frame=frame, voi=voi, styles=styles, max_size=max_size, region=region, width=width)
    return Rendered(view.png(compress_level=1), view.geometry, view.voi, view.missing_reason)


def render_view(
    entry: LoadedFile,
    *,
    frame: int = 0,
    voi: Voi | None = None,
    styles: tuple[PlaneStyle, ...] | list[PlaneStyle] | None = None,
    max_size: int | None = MAX_DISPLAY,
    region: Region | None = None,
    width: int | None = None,
) -> Rendered:
    """Render ``entry``'s dataset as :func:`overlay_core.render.compose.render` does, cached.

    ``styles=None`` draws every usable plane in its default style.

    Raises
    ------
    OverlayError
        As :func:`overlay_core.render.compose.render`.
    """
    assert entry.dataset is not None
    chosen = None if styles is None else tuple(styles)
    return _cached(content_key(entry), frame, voi, chosen, max_size, region, width, entry.dataset)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_range(key: str, frame: int, _ds: Dataset) -> tuple[float, float] | None:
    try:
        values = modality_frame(_ds, frame)
    except OverlayError:
        return None
    return (float(values.min()), float(values.max())) if values.size else None


def intensity_range(entry: LoadedFile, frame: int = 0) -> tuple[float, float] | None:
    """Return the smallest and largest Modality LUT value (e.g. HU) of one frame, cached.

    ``None`` when the frame cannot be decoded or is in colour (the threshold tool then
    reports why when it is used).
    """
    assert entry.dataset is not None
    return _cached_range(pixel_key(entry), frame, entry.dataset)  # a stroke leaves it as it was
