"""The drawing canvas: ``streamlit_drawable_canvas.st_canvas`` with keys that never go stale.

The component is imported inside :func:`draw_canvas` only (importing it outside a running
app raises). Its key is :func:`canvas_key`: it names the file, the plane, the frame, the
view and a nonce, so a new background (another plane, frame, zoom, or an applied
drawing) always starts an empty canvas instead of keeping strokes drawn on the old one.

The component keeps its value in ``st.session_state[key]`` as
``{"drawing": {"raw": json_data, "data": ...}, "backgroundFit": ...}``; tests inject a
drawing there (see :func:`inject_drawing`), which is what the browser sends.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image

from overlay_core.geometry import ViewGeometry

from .state import State

__all__ = ["TOOLS", "canvas_key", "draw_canvas", "inject_drawing"]

#: The tools a user picks, by name, and the component's drawing mode for each.
TOOLS = {"Brush": "freedraw", "Line": "line", "Rectangle": "rect", "Circle": "circle", "Polygon": "polygon"}


def canvas_key(file_id: str, group: int, frame: int, view: ViewGeometry, nonce: int) -> str:
    """Return the canvas key for this file, plane, frame, view and nonce.

    >>> from overlay_core.geometry import fit_view
    >>> canvas_key("f1", 0x6000, 0, fit_view(10, 10, width=100), 3)[:18]
    'canvas.f1.6000.0.n'
    """
    w = view.region
    digest = hashlib.sha1(
        f"{view.image_rows}x{view.image_cols}:{w.row0},{w.col0},{w.rows},{w.cols}:"
        f"{view.display_width}x{view.display_height}".encode()
    ).hexdigest()[:10]
    return f"canvas.{file_id}.{group:04X}.{frame}.n{nonce}.{digest}"


def inject_drawing(state: State, key: str, json_data: dict[str, Any]) -> None:
    """Put ``json_data`` where the component stores the drawing it sends (for tests)."""
    state[key] = {"drawing": {"raw": json_data, "data": None}, "backgroundFit": None}


def draw_canvas(
    *,
    key: str,
    background_png: bytes,
    view: ViewGeometry,
    tool: str,
    stroke_width: int,
    stroke_color: str,
    fill_color: str,
) -> dict[str, Any] | None:
    """Show the canvas over ``background_png`` (already ``view``-sized) and return its drawing."""
    from streamlit_drawable_canvas import st_canvas

    background = Image.open(io.BytesIO(background_png))
    result = st_canvas(
        key=key,
        background_image=background,
        width=view.display_width,
        height=view.display_height,
        drawing_mode=TOOLS[tool],
        stroke_width=stroke_width,
        stroke_color=stroke_color,
        fill_color=fill_color,
        update_streamlit=True,
    )
    data = result.json_data
    return dict(data) if data else None
