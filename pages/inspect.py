"""Inspect: the planes of the active file, their diagnostics, and the image with the planes drawn."""

import streamlit as st

from overlay_core.errors import OverlayError
from overlay_core.render.compose import burn_in_png
from overlay_core.render.styles import PlaneStyle, default_style
from overlay_core.render.windowing import AUTOMATIC, VoiKind, default_voi, file_presets, manual_window
from studio.frames import frame_control
from studio.interop import presentation_state_section
from studio.series import series_nav
from studio.text import plain
from studio.ui import require_active, severity_icon
from studio.viewer import image_viewer

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
    st.stop()

st.subheader("Image")
view_col, controls_col = st.columns([2.6, 1.4])
with controls_col:
    presets = file_presets(ds)
    choices = [*[p.name for p in presets], AUTOMATIC.name, "Manual"]
    default_name = default_voi(ds).name
    choice = st.selectbox("Window", choices, index=choices.index(default_name), key=f"inspect.voi.{entry.id}")
    if choice == "Manual":
        start = presets[0] if presets and presets[0].kind is VoiKind.WINDOW else None
        center = st.number_input("Center", value=float(start.center if start else 0),
                                 key=f"inspect.center.{entry.id}")
        width = st.number_input("Width", value=float(start.width if start else 1000), min_value=1.0,
                                key=f"inspect.width.{entry.id}")
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
        visible = row[0].checkbox(f"{p.group_hex} {p.type.value}{tag}", value=True,
                                  key=f"inspect.visible.{entry.id}.{p.group_hex}")
        color = row[1].color_picker(f"Colour of {p.group_hex}", base.color_hex, label_visibility="collapsed",
                                    key=f"inspect.color.{entry.id}.{p.group_hex}")
        opacity = row[2].slider(f"Opacity of {p.group_hex}", 0.0, 1.0, base.opacity, 0.05,
                                label_visibility="collapsed", key=f"inspect.opacity.{entry.id}.{p.group_hex}")
        styles.append(PlaneStyle(p.group, color, opacity, visible, base.outline))

with view_col:  # wheel zoom, drag to pan, right-drag window, double-click fit, ruler, cine
    view = image_viewer(entry, frame, voi, styles)
    if view is None:
        st.stop()
    st.download_button(
        "Burn-in PNG (full resolution)",
        data=lambda: burn_in_png(ds, frame=frame, voi=view.voi or voi, styles=styles),
        file_name=f"{entry.stem}-frame{frame + 1}-burnin.png", mime="image/png",
        key="inspect.burnin", icon=":material/image:", on_click="ignore",
    )
