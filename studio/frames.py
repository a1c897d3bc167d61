"""One image-frame control shared by Inspect and Edit.

The frame shown is kept per file under :func:`frame_key` (a plain session value, not a
widget's), so moving to frame 7 on Inspect shows frame 7 on Edit and back. Each page
draws its own widgets (Streamlit forgets a widget's value when its page is left) and
copies their value into the shared one. Previous/next buttons answer PageUp/PageDown.
"""

from __future__ import annotations

import streamlit as st

from studio.state import LoadedFile, State

__all__ = ["current_frame", "frame_control", "frame_key", "set_frame"]


def frame_key(entry: LoadedFile) -> str:
    """Return the session key of the file's shown frame."""
    return f"frame.{entry.id}"


def current_frame(state: State, entry: LoadedFile, frames: int) -> int:
    """Return the 0-based frame shown for ``entry``, kept within ``0..frames-1``."""
    value = state.get(frame_key(entry), 0)
    frame = int(value) if isinstance(value, int) else 0
    return min(max(frame, 0), max(frames - 1, 0))


def set_frame(state: State, entry: LoadedFile, frame: int, frames: int) -> None:
    """Show ``frame`` (0-based, clamped) for ``entry`` on every page."""
    state[frame_key(entry)] = min(max(int(frame), 0), max(frames - 1, 0))


def frame_control(entry: LoadedFile, frames: int, page: str) -> int:
    """Draw the frame slider with previous/next buttons; return the 0-based frame.

    Draws nothing for a single-frame image.
    """
    state: State = st.session_state
    frame = current_frame(state, entry, frames)
    if frames < 2:
        return 0
    widget = f"{page}.frame.{entry.id}"
    state[widget] = frame + 1  # the shared value wins over a value left from another page

    def moved() -> None:
        set_frame(state, entry, int(state[widget]) - 1, frames)

    def step(by: int) -> None:
        set_frame(state, entry, current_frame(state, entry, frames) + by, frames)

    st.slider("Image frame", 1, frames, key=widget, on_change=moved)
    # The buttons on their own row: beside the slider their shortcut hints overflowed it.
    cols = st.columns(2)
    cols[0].button("", key=f"{page}.frame.prev", icon=":material/navigate_before:", shortcut="PageUp",
                   help="Previous frame (PageUp)", on_click=step, args=(-1,), disabled=frame == 0,
                   width="stretch")
    cols[1].button("", key=f"{page}.frame.next", icon=":material/navigate_next:", shortcut="PageDown",
                   help="Next frame (PageDown)", on_click=step, args=(1,), disabled=frame == frames - 1,
                   width="stretch")
    return frame
