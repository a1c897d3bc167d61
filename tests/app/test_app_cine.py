"""Inspect's cine on a series (studio.cine): each run of the playing viewer shows the next instance,
made active, with the plane styles chosen on the first; stopping leaves the instance shown active.

Each ``AppTest.run`` is one tick of the viewer's fragment (a browser reruns it at the chosen rate).
"""

from __future__ import annotations

import numpy as np
from pydicom.uid import generate_uid
from streamlit.testing.v1 import AppTest

from studio import series, state
from tests.app.support import goto, no_exception, shown
from tests.app.test_app_inspect import viewer_png
from tests.builders import add_plane, image_dataset, to_file_bytes

ROWS, COLS = 40, 50


def bar_rows(number: int) -> tuple[int, int]:
    """Image rows (0-based, end excluded) of instance ``number``'s plane: a bar, lower on each."""
    return 8 * number, 8 * number + 4


def series_uploads(count: int = 3) -> list[tuple[str, bytes, str]]:
    uid, uploads = generate_uid(), []
    for number in range(1, count + 1):
        ds = image_dataset(ROWS, COLS, seed=number)
        ds.SeriesInstanceUID, ds.InstanceNumber = uid, number
        mask = np.zeros((1, ROWS, COLS), bool)
        mask[0, slice(*bar_rows(number)), 5:45] = True
        add_plane(ds, 0x6000, mask)
        uploads.append((f"slice{number}.dcm", to_file_bytes(ds), "application/dicom"))
    return uploads[::-1]  # uploaded out of order: played in Instance Number order


def viewer_caption(app: AppTest) -> str:
    return next(shown(c.value) for c in app.caption if "of full size" in c.value)


def green_rows(app: AppTest) -> tuple[int, int]:
    """The image rows (0-based, end excluded) where the viewer's picture is the plane's pure green."""
    picture = np.asarray(viewer_png(app).convert("RGB")).astype(int)
    green = (picture[..., 1] > 200) & (picture[..., 0] < 60) & (picture[..., 2] < 60)
    found = np.flatnonzero(green.any(axis=1))
    assert found.size, "no plane drawn in the chosen colour"
    scale = picture.shape[0] / ROWS
    return round(found[0] / scale), round((found[-1] + 1) / scale)


def test_cine_plays_the_series_instances_in_order_with_the_styles_chosen(app: AppTest) -> None:
    app.run()
    app.file_uploader(key="upload").set_value(series_uploads()).run()
    no_exception(app)
    first = next(e for e in state.files(app.session_state) if e.name == "slice1.dcm")
    state.activate(app.session_state, first.id)
    goto(app, "inspect")
    app.color_picker(key=f"inspect.color.{first.id}.6000").set_value("#00ff00")
    app.slider(key=f"inspect.opacity.{first.id}.6000").set_value(1.0).run()
    assert green_rows(app) == bar_rows(1)

    toggle = app.toggle(key=f"inspect.cine.{first.id}")  # one toggle for the whole series
    assert "instances of this series" in str(toggle.help)
    toggle.set_value(True).run()
    for number in (2, 3, 1, 2):  # one instance per tick, in Instance Number order, wrapping
        no_exception(app)
        active = state.active(app.session_state)
        assert active is not None and active.name == f"slice{number}.dcm"
        assert f"instance {number} of 3: slice{number}.dcm" in viewer_caption(app)
        assert green_rows(app) == bar_rows(number)  # its own plane, in the colour chosen on the first
        assert any("Cine: the 3 instances of this series play below" in t.value for t in app.text)
        assert app.button(key="inspect.series.next").disabled  # no stepping while it plays
        app.run()

    shown_now = state.active(app.session_state)
    assert shown_now is not None and shown_now.name == "slice3.dcm"
    app.toggle(key=f"inspect.cine.{first.id}").set_value(False).run()  # stop
    no_exception(app)
    active = state.active(app.session_state)
    assert active is not None and active.id == shown_now.id  # the instance shown stays active
    assert "instance" not in viewer_caption(app)
    assert any("Instance 3 of 3 in this series" in t.value for t in app.text)
    assert green_rows(app) == bar_rows(3)
    assert [e.name for e in series.members(app.session_state, active)] == [
        "slice1.dcm", "slice2.dcm", "slice3.dcm"]


def test_cine_keeps_a_manual_window_and_the_zoom_from_instance_to_instance(app: AppTest) -> None:
    app.run()
    app.file_uploader(key="upload").set_value(series_uploads()).run()
    first = next(e for e in state.files(app.session_state) if e.name == "slice1.dcm")
    state.activate(app.session_state, first.id)
    goto(app, "inspect")
    app.selectbox(key=f"inspect.voi.{first.id}").set_value("Manual").run()
    app.number_input(key=f"inspect.center.{first.id}").set_value(100).run()
    app.number_input(key=f"inspect.width.{first.id}").set_value(50).run()
    app.session_state[f"inspect.zoom.{first.id}"] = 2.0  # as a wheel zoom leaves it
    app.run()
    assert "rows 11–30, columns 13–37" in viewer_caption(app)
    app.toggle(key=f"inspect.cine.{first.id}").set_value(True).run()
    no_exception(app)
    caption = viewer_caption(app)
    assert "instance 2 of 3: slice2.dcm" in caption
    assert "Manual: C 100 / W 50" in caption and "rows 11–30, columns 13–37" in caption
