"""Record real ``json_data`` samples from streamlit-drawable-canvas in a browser.

Not run by the tests: run it by hand to re-record ``tests/data/canvas/*.json`` (and the
matching ``*.png``, the canvas as fabric.js itself rendered it) after upgrading the
component::

    .venv/bin/python tools/record_canvas_samples.py

It writes a throwaway Streamlit app to a temporary folder, starts it on a free port,
and drives Debian's chromium with Playwright: for each sample it opens the app with the
drawing mode in the URL, moves the mouse over the canvas, waits until the app has
written ``st_canvas(...).json_data`` to a file, and saves the sample with the canvas
size, the tool settings and the mouse positions used (display pixels, x to the right,
y down, relative to the canvas' top-left corner).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "canvas"
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 300, 200

APP = textwrap.dedent(
    """
    import json, os
    from pathlib import Path
    import streamlit as st
    from streamlit_drawable_canvas import st_canvas

    q = st.query_params
    mode = q.get("mode", "freedraw")
    name = q.get("name", mode)
    st.write("padding for the toolbar")
    st.write("more padding")
    result = st_canvas(
        fill_color=q.get("fill", "rgba(255, 165, 0, 1)"),
        stroke_width=int(q.get("sw", "6")),
        stroke_color="#0000ff",
        height=int(q.get("h", "200")),
        width=int(q.get("w", "300")),
        drawing_mode=mode,
        point_display_radius=int(q.get("pr", "3")),
        return_image_data=True,
        key=f"canvas_{name}",
    )
    if result.json_data and result.json_data.get("objects"):
        out = Path(os.environ["RECORD_OUT"]) / f"{name}.json"
        png = result.image_bytes
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps({"json_data": result.json_data,
                                   "png": png and __import__("base64").b64encode(png).decode()}))
        tmp.replace(out)
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(port: int, timeout: float = 60) -> None:
    import urllib.request

    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("streamlit did not start")


def _canvas_box(page: Page) -> tuple[float, float]:
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=30000)
    page.wait_for_timeout(1000)
    box = canvas.bounding_box()
    assert box is not None
    return box["x"], box["y"]


def _drag(page: Page, x0: float, y0: float, points: list[tuple[float, float]]) -> None:
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=4)
    page.mouse.up()


def _click(page: Page, x0: float, y0: float, x: float, y: float) -> None:
    page.mouse.click(x0 + x, y0 + y)
    page.wait_for_timeout(250)


def _edit_toggle(page: Page) -> None:
    page.locator(".dc-root").first.hover()
    page.get_by_role("button", name="Edit").first.click()
    page.wait_for_timeout(300)


Action = Callable[[Page, float, float], list[dict[str, Any]]]


def _stroke(points: list[tuple[float, float]]) -> Action:
    def run(page: Page, x0: float, y0: float) -> list[dict[str, Any]]:
        _drag(page, x0, y0, points)
        return [{"action": "drag", "points": points}]
    return run


def _clicks(points: list[tuple[float, float]]) -> Action:
    def run(page: Page, x0: float, y0: float) -> list[dict[str, Any]]:
        for x, y in points:
            _click(page, x0, y0, x, y)
        return [{"action": "click", "points": [p]} for p in points]
    return run


def _then_edit(first: Action, drags: list[list[tuple[float, float]]]) -> Action:
    def run(page: Page, x0: float, y0: float) -> list[dict[str, Any]]:
        steps = first(page, x0, y0)
        page.wait_for_timeout(600)
        _edit_toggle(page)
        for points in drags:
            # pressing on an object selects it and starts the drag; pressing again on a
            # selected rectangle, polygon or line would switch to editing its points
            _drag(page, x0, y0, points)
            page.wait_for_timeout(400)
            steps.append({"action": "edit-drag", "points": points})
        return steps
    return run


FREEDRAW = [(40.0, 60.0), (80.0, 40.0), (130.0, 60.0), (170.0, 110.0), (220.0, 150.0), (260.0, 150.0)]
POLYGON = [(50.0, 60.0), (250.0, 70.0), (150.0, 180.0)]

# name: (query parameters, action, expected number of objects)
SAMPLES: dict[str, tuple[dict[str, str], Action, int]] = {
    "freedraw": ({"mode": "freedraw"}, _stroke(FREEDRAW), 1),
    "line": ({"mode": "line"}, _stroke([(40.0, 50.0), (130.0, 100.0), (220.0, 150.0)]), 1),
    "line_reverse": ({"mode": "line"}, _stroke([(230.0, 60.0), (150.0, 110.0), (60.0, 160.0)]), 1),
    "rect": ({"mode": "rect"}, _stroke([(50.0, 60.0), (120.0, 100.0), (200.0, 150.0)]), 1),
    "rect_outline": (
        {"mode": "rect", "fill": "rgba(0, 0, 0, 0)"},
        _stroke([(50.0, 60.0), (120.0, 100.0), (200.0, 150.0)]), 1,
    ),
    "circle": ({"mode": "circle"}, _stroke([(60.0, 140.0), (130.0, 110.0), (200.0, 80.0)]), 1),
    "circle_outline": (
        {"mode": "circle", "fill": "transparent"},
        _stroke([(60.0, 140.0), (130.0, 110.0), (200.0, 80.0)]), 1,
    ),
    "polygon": ({"mode": "polygon"}, _clicks([*POLYGON, POLYGON[0]]), 1),
    "point": ({"mode": "point"}, _clicks([(100.0, 100.0), (200.0, 120.0)]), 2),
    "transform_rect": (
        {"mode": "rect"},
        _then_edit(
            _stroke([(80.0, 80.0), (160.0, 130.0)]),
            [
                [(120.0, 105.0), (150.0, 115.0), (170.0, 125.0)],  # move by (50, 20)
                [(213.0, 153.0), (240.0, 170.0), (250.0, 180.0)],  # scale with the br corner
            ],
        ),
        1,
    ),
    "transform_rotate": (
        {"mode": "rect"},
        _then_edit(
            _stroke([(80.0, 80.0), (160.0, 130.0)]),
            # select by the body, then turn with the mtr handle 40 px above the top centre
            [[(120.0, 105.0)], [(123.0, 40.0), (170.0, 60.0), (200.0, 100.0)]],
        ),
        1,
    ),
    "transform_flip": (
        {"mode": "rect"},
        _then_edit(
            _stroke([(150.0, 80.0), (220.0, 140.0)]),
            [[(185.0, 110.0)], [(226.0, 113.0), (180.0, 113.0), (130.0, 113.0), (100.0, 113.0)]],  # select;
            # then the mr control past the left side

        ),
        1,
    ),
    "transform_path": (
        {"mode": "freedraw"},
        _then_edit(
            _stroke([(60.0, 80.0), (100.0, 100.0), (140.0, 90.0), (160.0, 130.0)]),
            [
                [(100.0, 100.0), (120.0, 110.0), (130.0, 120.0)],  # move by (30, 20)
            ],
        ),
        1,
    ),
    "transform_scale_path": (
        {"mode": "freedraw"},
        _then_edit(
            _stroke([(60.0, 80.0), (100.0, 100.0), (140.0, 90.0), (160.0, 130.0)]),
            [
                [(100.0, 100.0)],  # select by clicking the stroke
                [(163.0, 133.0), (200.0, 150.0), (230.0, 170.0)],  # scale with the br corner
            ],
        ),
        1,
    ),
    "transform_line": (
        {"mode": "line"},
        _then_edit(
            _stroke([(60.0, 60.0), (160.0, 120.0)]),
            [[(110.0, 90.0), (130.0, 100.0), (150.0, 110.0)]],  # move by (40, 20)
        ),
        1,
    ),
}


def record(only: list[str] | None = None) -> None:
    """Record the samples named in ``only`` (all by default) into ``tests/data/canvas``."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "app.py"
        app.write_text(APP)
        results = Path(tmp) / "out"
        results.mkdir()
        port = _free_port()
        env = {**os.environ, "RECORD_OUT": str(results)}
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            _wait_http(port)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                ])
                for name, (params, action, count) in SAMPLES.items():
                    if only and name not in only:
                        continue
                    page = browser.new_page(viewport={"width": 900, "height": 700})
                    query = "&".join(f"{k}={v}" for k, v in {**params, "name": name}.items())
                    page.goto(f"http://127.0.0.1:{port}/?{query}")
                    x0, y0 = _canvas_box(page)
                    steps = action(page, x0, y0)
                    out = results / f"{name}.json"
                    end = time.time() + 20
                    data: dict[str, Any] = {}
                    while time.time() < end:
                        page.wait_for_timeout(500)
                        if out.exists():
                            data = json.loads(out.read_text())
                            if len(data["json_data"]["objects"]) >= count:
                                page.wait_for_timeout(1000)
                                data = json.loads(out.read_text())
                                break
                    if not data:
                        raise RuntimeError(f"no json_data for {name}")
                    sample = {
                        "component": "streamlit-drawable-canvas 0.13.0",
                        "canvas": {"width": WIDTH, "height": HEIGHT},
                        "settings": {k: v for k, v in params.items()},
                        "stroke_width": 6,
                        "steps": steps,
                        "json_data": data["json_data"],
                    }
                    (OUT / f"{name}.json").write_text(json.dumps(sample, indent=1) + "\n")
                    if data.get("png"):
                        (OUT / f"{name}.png").write_bytes(base64.b64decode(data["png"]))
                    print("recorded", name, len(data["json_data"]["objects"]), "object(s)")
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    record(sys.argv[1:] or None)
