"""Inspect: the planes of the active file, their diagnostics, and the image with the planes drawn."""

import streamlit as st

from overlay_core.errors import OverlayError
from overlay_core.render.compose import full_view_png
from overlay_core.render.styles import PlaneStyle, default_style
from overlay_core.render.windowing import AUTOMATIC, VoiKind, default_voi, file_presets, manual_window
from studio.frames import frame_control
from studio.interop import presentation_state_section
from studio.measure import compare_panel, statistics_table
from studio.planes_info import absent_on_frame, frames_text, show_findings
from studio.series import series_nav
from studio.text import plain
from studio.ui import require_active, severity_icon
from studio.viewer import image_viewer

# Less space above the title, and an image no taller than most of the window: the whole
# image is in the first screen at 1366 x 768.
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.6rem}"
        ".st-key-inspect-view img{max-height:max(240px,calc(100vh - 250px));width:auto;max-width:100%}"
        "</style>")
st.title("Inspect")
entry = require_active()
series_nav("inspect")  # previous/next instance of a series (PageUp/PageDown)
ds = entry.dataset
planes = entry.planes()
findings = entry.findings()
info = entry.image_info()
size = (f"{info.rows} × {info.columns}, {info.frames} frame(s)" if info.rows
        else "no image (e.g. a presentation state)")
st.caption(f"{plain(entry.name)} · {size} · {plain(info.transfer_syntax_name)}")

def planes_section() -> None:
    """The plane table and every diagnostic, in full."""
    st.subheader("Overlay planes")
    if planes:
        st.dataframe(
            [
                {
                    "group": p.group_hex,
                    "size": f"{p.rows} × {p.columns}",
                    "origin": f"{p.origin[0]}\\{p.origin[1]}",
                    "type": p.type.value,
                    "frames": p.frames,
                    "on": frames_text(p, info.frames),
                    "description": p.description,
                    "label": p.label,
                    "set pixels": p.set_bits,
                    "embedded": "embedded in Pixel Data" if p.embedded else "",
                    "diagnostics": " · ".join(
                        f"{severity_icon(f.severity)} {f.message}" for f in findings if f.group == p.group
                    ),
                }
                for p in planes
            ],
            hide_index=True, key="inspect.table",
        )
    else:
        st.info("This file has no usable overlay plane. Add one on the Edit page.")
    show_findings(planes, findings)  # every finding of each plane, in full

    usable = {p.group for p in planes}
    other = [f for f in findings if f.group not in usable]
    if other:
        with st.expander(f"Diagnostics for the file and unusable groups ({len(other)})", expanded=True):
            for f in other:
                where = "file" if f.group is None else f"group {f.group:04X}"
                st.markdown(f"{severity_icon(f.severity)} **{where}** `{f.code}`: {plain(f.message)}")
    elif not findings:
        st.caption("No diagnostics: the overlay groups follow the standard.")


presentation_state_section(entry)  # a presentation state and its image, both open

if not info.has_pixel_data or info.rows == 0:
    st.warning("This file has no image to draw the planes on.")
    planes_section()
    st.stop()

view_col, controls_col = st.columns([2.6, 1.4])
with controls_col:
    presets = file_presets(ds)
    choices = [*[p.name for p in presets], AUTOMATIC.name, "Manual"]
    default_name = default_voi(ds).name
    voi_key = f"inspect.voi.{entry.id}"
    if st.session_state.get(voi_key) not in choices:  # a default, set once (no widget value besides)
        st.session_state[voi_key] = default_name
    choice = st.selectbox("Window", choices, key=voi_key)
    if choice == "Manual":
        start = presets[0] if presets and presets[0].kind is VoiKind.WINDOW else None
        st.session_state.setdefault(f"inspect.center.{entry.id}", float(start.center if start else 0))
        st.session_state.setdefault(f"inspect.width.{entry.id}", float(start.width if start else 1000))
        center = st.number_input("Center", key=f"inspect.center.{entry.id}")
        width = st.number_input("Width", min_value=1.0, key=f"inspect.width.{entry.id}")
        try:
            voi = manual_window(center, width)
        except OverlayError as exc:
            st.error(plain(str(exc)))
            voi = None
    else:
        voi = next((p for p in presets if p.name == choice), AUTOMATIC)
    frame = frame_control(entry, info.frames, "inspect")
    styles: list[PlaneStyle] = []
    if planes:
        st.caption("Planes: shown, colour, opacity")
    for p in planes:  # one compact row per plane
        base = default_style(p)
        tag = " (embedded)" if p.embedded else ""
        row = st.columns([1.5, 0.6, 2], vertical_alignment="center", gap="small")
        # Defaults go into Session State, not the widgets: a value carried from the series'
        # previous instance (studio.series) is there too, and Streamlit warns about both.
        suffix = f"{entry.id}.{p.group_hex}"
        for name, value in (("visible", True), ("color", base.color_hex), ("opacity", base.opacity)):
            st.session_state.setdefault(f"inspect.{name}.{suffix}", value)
        visible = row[0].checkbox(f"{p.group_hex} {p.type.value}{tag}", key=f"inspect.visible.{suffix}",
                                  help=f"Plane {p.group_hex} covers {frames_text(p, info.frames)}.")
        color = row[1].color_picker(f"Colour of {p.group_hex}", label_visibility="collapsed",
                                    key=f"inspect.color.{suffix}")
        opacity = row[2].slider(f"Opacity of {p.group_hex}", 0.0, 1.0, step=0.05,
                                label_visibility="collapsed", key=f"inspect.opacity.{suffix}")
        styles.append(PlaneStyle(p.group, color, opacity, visible, base.outline))

with view_col, st.container(key="inspect.view"):
    # wheel zoom, drag to pan, right-drag window, double-click fit, ruler, cine
    absent = absent_on_frame(planes, frame, info.frames)
    if absent:  # a multi-frame plane elsewhere: say so rather than show nothing without a hint
        st.info(absent, icon=":material/info:")
    view = image_viewer(entry, frame, voi, styles)
    if view is None:
        st.stop()
    st.download_button(
        "Burn-in PNG (full resolution)",
        data=lambda: full_view_png(ds, frame=frame, voi=view.voi or voi, styles=styles),
        file_name=f"{entry.stem}-frame{frame + 1}-burnin.png", mime="image/png",
        key="inspect.burnin", icon=":material/image:", on_click="ignore",
    )

planes_section()  # below the image: the image is in the first screen

if planes:
    statistics_table(entry, frame, "inspect")  # issue 18: statistics and comparison
    compare_panel(entry, "inspect")
