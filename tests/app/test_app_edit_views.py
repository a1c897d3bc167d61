"""Edit page: a new view (zoom, pan) keeps the canvas mounted, and every stroke is applied in
the view it was drawn in (:mod:`studio.editor.views`).

A drawing is injected where the canvas keeps the value its browser side sends (see
tests/app/test_app_edit.py), with the generation marker the browser sends back with it; a
wheel notch is injected where the gestures component keeps its events.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from overlay_core.render.geometry import ViewGeometry, fit_view
from overlay_core.render.navigation import canvas_width, zoom_window
from studio import state
from studio.editor.canvas import inject_drawing
from studio.editor.strokes import marker
from tests.app.support import no_exception
from tests.app.test_app_edit import COLS, ROWS, active_bits, canvas_key, offset_file, open_in_editor, rect

ROOM = 2000 - 100 - 78  # the test browser's height, less its top and the status line


@pytest.fixture
def edit_app(app: AppTest) -> AppTest:
    return open_in_editor(app, "offset.dcm", offset_file())


def view_at(zoom: float, centre: tuple[float, float] | None) -> ViewGeometry:
    window = zoom_window(ROWS, COLS, zoom, centre)
    return fit_view(ROWS, COLS, region=window, width=canvas_width(window, 200, ROOM))


def generation(at: AppTest) -> int:
    return int(at.session_state["edit.memory"]["generation"])


def square_on(view: ViewGeometry, row: int, col: int) -> dict[str, Any]:
    """A rectangle inside image pixel (row, col) as the canvas of ``view`` draws it."""
    x, y = view.image_to_display(row, col)
    s = view.scale
    return rect(x + s * 0.2, y + s * 0.2, s * 0.6, s * 0.6)


def wheel(at: AppTest, serial: int, steps: int = 2) -> None:
    """Put a wheel event (``steps`` notches in, about the centre) where the gestures component keeps it."""
    at.session_state["edit.gestures"] = {
        "events": {"mount": "m", "events": [[serial, {"kind": "zoom", "steps": steps, "x": 0.5, "y": 0.5}]]}}


def test_a_stroke_sent_before_a_wheel_notch_lands_where_it_was_drawn(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    key, shown = canvas_key(edit_app), generation(edit_app)
    fit = view_at(1, None)
    # the stroke and the notch reach the server in one run (the stroke was sent first)
    inject_drawing(edit_app.session_state, key, {"version": "7.0.0",
                                                 "objects": [marker(shown), square_on(fit, 12, 21)]})
    wheel(edit_app, 1)
    edit_app.run()
    no_exception(edit_app)
    assert edit_app.session_state[f"edit.zoom.{entry.id}"] > 1  # the view changed in this run
    assert np.argwhere(active_bits(edit_app)).tolist() == [[0, 0], [12 - 2, 21 - 3]]  # drawn at fit
    assert canvas_key(edit_app) == key  # the same canvas, emptied: a new generation for the new view
    assert generation(edit_app) > shown

    # a stroke on the emptied canvas is read in the zoomed view
    zoomed = view_at(edit_app.session_state[f"edit.zoom.{entry.id}"],
                     edit_app.session_state[f"edit.centre.{entry.id}"])
    assert zoomed.region != fit.region
    inject_drawing(edit_app.session_state, key, {"version": "7.0.0",
                                                 "objects": [marker(generation(edit_app)),
                                                             square_on(zoomed, 15, 25)]})
    edit_app.run()
    no_exception(edit_app)
    assert np.argwhere(active_bits(edit_app)).tolist() == [[0, 0], [12 - 2, 21 - 3], [15 - 2, 25 - 3]]


def test_a_drawing_of_a_forgotten_generation_is_never_read_in_a_guessed_view(edit_app: AppTest) -> None:
    key = canvas_key(edit_app)
    inject_drawing(edit_app.session_state, key, {"version": "7.0.0",
                                                 "objects": [marker(generation(edit_app) + 50),
                                                             square_on(view_at(1, None), 12, 21)]})
    edit_app.run()
    no_exception(edit_app)
    assert np.argwhere(active_bits(edit_app)).tolist() == [[0, 0]]  # nothing applied
    assert "0 applied" in " ".join(c.value for c in edit_app.caption)
