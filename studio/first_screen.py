"""The Open page's first screen and its compact list of files.

:func:`active_card` shows the active file's image with its planes drawn (the bundled sample
on ``make run``) and what to do next, with links to Inspect and Edit, so a first visit
starts from a picture rather than an empty form. :func:`file_list` lists the session's
files one line each (name, planes, diagnostics, buttons); a file's planes and findings
open on demand in a popover, and a file that could not be read says why on its line.
"""

from __future__ import annotations

import streamlit as st

from overlay_core.errors import OverlayError
from overlay_core.model import Severity
from studio import state
from studio.state import LoadedFile
from studio.text import plain
from studio.ui import severity_icon
from studio.view import render_view

__all__ = ["CARD_SIZE", "active_card", "file_list", "sample_open", "upload_style"]

# Streamlit puts an upload's refusal ("File must be 512.0MB or smaller.") in a visually
# hidden alert inside its chip, readable only by hovering: show it under the file name.
# A file that arrived has been handled (it is in the list below, with its error if it has
# one): its chip goes; chips still uploading (a spinner) or refused stay.
_CHIP = ".st-key-upload [data-testid='stFileChip']"
# The chips area when no chip in it shows (none refused, none uploading).
_ALL_HIDDEN = (".st-key-upload [data-testid='stFileChips']"
               ":not(:has([data-testid='stFileChip'][aria-invalid='true']))"
               ":not(:has([data-testid='stFileChipIconSpinner']))")
_UPLOAD_CSS = (
    f"<style>{_CHIP}:not([aria-invalid='true']):not(:has([data-testid='stFileChipIconSpinner']))"
    "{display:none}"
    # Streamlit's own "… per file" rounds 512 MB up to "1GB": the label states the limit instead.
    ".st-key-upload [data-testid='stFileUploaderDropzoneInstructions']{display:none}"
    ".st-key-upload [data-testid='stFileChip']{flex-wrap:wrap;max-width:none}"
    ".st-key-upload [data-testid='stFileChip'] span[role='alert']{position:static;width:auto;height:auto;"
    "clip:auto;clip-path:none;overflow:visible;white-space:normal;margin:0;flex-basis:100%;"
    "color:#ff6c6c;font-size:0.8rem}"
    # Once every chip is hidden, Streamlit's compact "+" (Add files) is all that is left, and
    # the uploader looks empty: give it the look of the drop zone's own Upload button.
    f"{_ALL_HIDDEN} button[aria-label='Add files']{{border:1px solid rgb(74,71,66);border-radius:8px;"
    "padding:6px 12px;margin-left:-8px;min-height:40px;background:rgb(30,29,26);color:rgb(237,235,232)}"
    f"{_ALL_HIDDEN} button[aria-label='Add files'] [data-testid='stIconMaterial']{{font-size:0}}"
    f"{_ALL_HIDDEN} button[aria-label='Add files'] [data-testid='stIconMaterial']::after"
    "{content:'upload';font-size:20px}"
    f"{_ALL_HIDDEN} button[aria-label='Add files'] span[data-has-shortcut]::after"
    "{content:'Upload';font-size:16px}</style>"
)

#: The longest side of the first screen's picture (CSS pixels).
CARD_SIZE = 360


def upload_style() -> None:
    """Make the uploader show why it refused a file (see ``_UPLOAD_CSS``)."""
    st.html(_UPLOAD_CSS)


def sample_open(session: state.State) -> bool:
    """Say whether the bundled sample is open (its button is then not offered)."""
    return any(f.name == state.SAMPLE_NAME and f.ok for f in state.files(session))


def _counts(entry: LoadedFile) -> str:
    planes, findings = entry.planes(), entry.findings()
    order = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    worst = sorted({f.severity for f in findings}, key=order.index)
    return (f"{len(planes)} plane{'s' if len(planes) != 1 else ''} · "
            f"{len(findings)} diagnostic{'s' if len(findings) != 1 else ''} "
            + " ".join(severity_icon(s) for s in worst)).rstrip()


def active_card(entry: LoadedFile | None) -> None:
    """Show the active file's picture and the next steps; nothing without an active file."""
    if entry is None:
        return
    info = entry.image_info()
    with st.container(border=True, key="open.active"):
        picture, words = st.columns([1, 1.6], vertical_alignment="center")
        with picture:
            if info.rows and info.has_pixel_data:
                try:
                    view = render_view(entry, max_size=CARD_SIZE)
                except OverlayError as exc:
                    st.caption(plain(str(exc)))
                else:
                    st.image(view.png, width="content", output_format="PNG")
            else:
                st.caption("This file has no image (e.g. a presentation state).")
        with words:
            planes = entry.planes()
            listed = ", ".join(f"{p.group_hex} ({p.type.value}, {p.rows} × {p.columns})" for p in planes)
            what = (f"overlay plane{'s' if len(planes) > 1 else ''} {plain(listed)}, drawn on the image."
                    if planes else "it has no overlay plane yet.")
            st.markdown(f"**{plain(entry.name)}** is open: {what}")
            st.markdown("What next:")
            st.page_link("pages/inspect.py", label="Inspect: its planes, diagnostics and frames",
                         icon=":material/visibility:")
            st.page_link("pages/edit.py", label="Edit: draw or erase on a plane, or add one",
                         icon=":material/draw:")
            st.page_link("pages/export.py", label="Export: download it, checked", icon=":material/download:")


def file_list(session: state.State) -> None:
    """List the session's files, newest first, one line each; details on demand."""
    entries = state.files(session)
    if not entries:
        return
    st.subheader(f"Files in this session ({len(entries)})")
    current = state.active(session)
    for entry in reversed(entries):
        is_active = current is not None and current.id == entry.id
        with st.container(key=f"open.file.{entry.id}", gap="small"):
            # A file that could not be read: its reason across the middle, still one line.
            widths = [3, 4.9, 1.1] if entry.error else [3, 2.4, 1.3, 1.2, 1.1]
            cols = st.columns(widths, vertical_alignment="center", gap="small")
            cols[0].markdown(f"**{plain(entry.name)}**" + (" :green-badge[active]" if is_active else ""))
            if entry.error:
                cols[1].error(plain(entry.error), icon=":material/error:")
            else:
                cols[1].markdown(_counts(entry))
                with cols[2].popover("Details", icon=":material/info:", width="stretch"):
                    _details(entry)
            if entry.ok and not is_active:
                cols[3].button("Make active", key=f"open.activate.{entry.id}", width="stretch",
                               on_click=state.activate, args=(session, entry.id))
            cols[-1].button("Remove", key=f"open.remove.{entry.id}", width="stretch",
                            on_click=state.remove, args=(session, entry.id))


def _details(entry: LoadedFile) -> None:
    info = entry.image_info()
    size = f"{info.rows} × {info.columns}, {info.frames} frame(s)" if info.rows else "no image"
    st.caption(f"{size} · {plain(info.transfer_syntax_name)} · {entry.size:,} bytes")
    planes = entry.planes()
    if planes:
        st.markdown("\n".join(
            f"- `{p.group_hex}` {p.type.value} {p.rows}×{p.columns} at {p.origin[0]}\\\\{p.origin[1]}"
            + (f" — {plain(p.label)}" if p.label else "") for p in planes))
    for f in entry.findings():
        st.markdown(f"{severity_icon(f.severity)} `{f.code}`: {plain(f.message)}")
