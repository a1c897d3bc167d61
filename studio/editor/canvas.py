"""The drawing canvas: ``streamlit_drawable_canvas.st_canvas`` with keys that never go stale.

The component is imported inside :func:`draw_canvas` only (importing it outside a running
app raises). Its key is :func:`canvas_key`: it names the file, the plane, the frame and a
nonce, so another plane or frame always starts an empty canvas instead of keeping strokes
drawn on the old one. A new view (zoom, pan) keeps the canvas and swaps its background: a
new canvas generation empties it (:mod:`studio.editor.views`).

The component keeps its value in ``st.session_state[key]`` as
``{"drawing": {"raw": json_data, "data": ...}, "backgroundFit": ...}``; tests inject a
drawing there (see :func:`inject_drawing`), which is what the browser sends.
"""

from __future__ import annotations

from typing import Any

from overlay_core.render.geometry import ViewGeometry
from studio.state import State

__all__ = ["TOOLS", "background_url", "canvas_key", "draw_canvas", "inject_drawing", "png_level"]

#: The tools a user picks, by name, and the component's drawing mode for each.
TOOLS = {"Brush": "freedraw", "Line": "line", "Rectangle": "rect", "Circle": "circle", "Polygon": "polygon",
         "Fill": "point"}  # Fill: a click (issue 18)


def canvas_key(file_id: str, group: int, frame: int, nonce: int) -> str:
    """Return the canvas key for this file, plane, frame and nonce (the same for every view).

    >>> canvas_key("f1", 0x6000, 0, 3)
    'canvas.f1.6000.0.n3'
    """
    return f"canvas.{file_id}.{group:04X}.{frame}.n{nonce}"


def inject_drawing(state: State, key: str, json_data: dict[str, Any]) -> None:
    """Put ``json_data`` where the component stores the drawing it sends (for tests).

    ``backgroundFit`` is what the component reports once its background has loaded (the
    editor shows the canvas as ready from then on); a stretched background has scale 1.
    """
    fit = {"naturalWidth": 0, "naturalHeight": 0, "scaleX": 1, "scaleY": 1, "offsetX": 0, "offsetY": 0}
    state[key] = {"drawing": {"raw": json_data, "data": None}, "backgroundFit": fit}


def background_url(png: bytes, key: str) -> str | bytes:
    """Serve the background PNG from Streamlit's media endpoint and return its URL.

    A data URL would resend the whole image on every rerun (half a megabyte for a noisy
    image), and the browser would decode it again; a URL is a few bytes, and an unchanged
    background keeps its URL (the media manager names files by content), so the canvas does
    not reload it. The file belongs to this session and is dropped once a newer background
    takes its place. Outside a served app (AppTest) the PNG bytes are returned instead.
    """
    from urllib.parse import urlsplit

    import streamlit as st
    from streamlit import runtime

    page = st.context.url if runtime.exists() else None
    if not page:
        return png
    parts = urlsplit(page)
    path = runtime.get_instance().media_file_mgr.add(png, "image/png", f"{key}.background")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{parts.scheme}://{parts.netloc}{'/' + base if base else ''}{path}"


def png_level() -> int:
    """Return the zlib level for the canvas' background: 0 (stored) for a browser on this machine, else 1.

    A stroke's picture is encoded on every stroke: deflating a noisy view (700 x 700 RGB)
    takes ~20 ms here at level 1 and ~4 ms stored, while the 1.4 MB it then weighs cost
    nothing over the loopback. Over a network the smaller file is worth the time.

    >>> png_level()  # outside a served app: no browser, the smaller file
    1
    """
    from urllib.parse import urlsplit

    import streamlit as st
    from streamlit import runtime

    page = st.context.url if runtime.exists() else None
    host = urlsplit(page).hostname if page else None
    return 0 if host in ("127.0.0.1", "localhost", "::1") else 1


def draw_canvas(
    *,
    key: str,
    background_png: bytes,
    view: ViewGeometry,
    tool: str,
    stroke_width: float,
    stroke_color: str,
    fill_color: str,
    generation: int = 0,
) -> dict[str, Any] | None:
    """Show the canvas over ``background_png`` (already ``view``-sized) and return its drawing.

    A new ``generation`` empties the mounted canvas without remounting it: its initial
    drawing becomes that generation's invisible marker (:func:`studio.editor.strokes.marker`),
    which the canvas sends back with every drawing. (Any other key of the initial drawing
    is set on the fabric canvas itself: ``"clear"`` once replaced its ``clear`` method, and
    every later undo raised ``this.clear is not a function``.)

    The canvas sends a drawing only when asked (``update_streamlit=False``): the key
    listener (:func:`studio.browser.keys`) presses its send button at mouse-up, and a
    closed polygon is sent by the canvas itself. So emptying the canvas never sends an
    empty drawing that could overtake one holding strokes not yet applied.
    """
    from streamlit_drawable_canvas import st_canvas

    from studio.editor.strokes import marker

    result = st_canvas(
        key=key,
        background_image=background_url(background_png, key),
        width=view.display_width,
        height=view.display_height,
        drawing_mode=TOOLS[tool],
        stroke_width=stroke_width,
        stroke_color=stroke_color,
        fill_color=fill_color,
        update_streamlit=False,
        initial_drawing={"objects": [marker(generation)]},
    )
    data = result.json_data
    return dict(data) if data else None
