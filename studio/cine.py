"""Cine on Inspect: play a series' instances, or a multi-frame image's frames, at a chosen rate.

What plays (:func:`what_plays`): the instances of the shown file's series when the session
holds more than one of them (in the sidebar's order, :func:`studio.series.members`), else the
frames of a multi-frame image. A series steps as *Next* does (:func:`studio.series.navigate`):
the next instance becomes the active file and takes the plane styles, the window choice, the
zoom and the pan of the one before, so each instance shows its planes as Inspect would show
them and stopping leaves the instance shown active, with the page about it. The toggle and
the rate are kept per series (keyed by its first instance), so a rerun of the whole page while
the series plays (a new rate) keeps it playing.

The viewer (:mod:`studio.viewer`) is an ``st.fragment`` that reruns itself at the rate; only
the picture and its caption change while it plays, the rest of the page follows on stop.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from overlay_core.errors import OverlayError
from overlay_core.render.styles import PlaneStyle, default_style, parse_color
from overlay_core.render.windowing import AUTOMATIC, Voi, VoiKind, default_voi, file_presets, manual_window
from studio import series, state
from studio.state import LoadedFile, State

__all__ = ["RATES", "Cine", "controls", "instance_styles", "instance_voi", "step", "what_plays"]

#: The rates offered, in images per second.
RATES = (1, 2, 5, 10, 15, 20, 25, 30)
_DEFAULT_RATE = 10


@dataclass(frozen=True)
class Cine:
    """What cine plays for a file, and the keys of its toggle and rate.

    ``kind`` is ``"series"``, ``"frames"`` or ``""`` (nothing to play); ``count`` the
    instances or frames played; ``anchor`` the id of the series' first file (the file
    itself when alone), which names the keys kept per series.
    """

    kind: str
    count: int
    toggle_key: str
    rate_key: str
    anchor: str = ""

    def playing(self, session: State) -> bool:
        """Say whether the toggle is on for something to play."""
        return bool(self.kind) and bool(session.get(self.toggle_key))

    def rate(self, session: State) -> int:
        """Return the chosen rate, images per second (10 until one is chosen).

        >>> Cine("series", 3, "t", "r").rate({"r": 25}), Cine("frames", 4, "t", "r").rate({"r": 7})
        (25, 10)
        """
        value = session.get(self.rate_key, _DEFAULT_RATE)
        return value if isinstance(value, int) and value in RATES else _DEFAULT_RATE


def what_plays(session: State, entry: LoadedFile) -> Cine:
    """Return what cine plays for ``entry``: its series' instances, else its frames, else nothing."""
    members = series.members(session, entry)
    # the same keys whichever instance of the series is shown
    keys = (series.cine_key("inspect", members), f"inspect.rate.{members[0].id}")
    if len(members) > 1:
        return Cine("series", len(members), *keys, members[0].id)
    frames = entry.image_info().frames
    return Cine("frames" if frames > 1 else "", frames, *keys, members[0].id)


def step(session: State, start: LoadedFile) -> tuple[LoadedFile, int, int]:
    """Make the instance after the active one (of ``start``'s series, wrapping) active.

    Return it with its 1-based place in the series and the series' size. The plane
    styles, window, zoom and pan go with it, as with *Next*.
    """
    members = series.members(session, start)
    shown = state.active(session)
    ids = [f.id for f in members]
    index = ids.index(shown.id) if shown is not None and shown.id in ids else -1
    target = members[(index + 1) % len(members)]
    if shown is not None and shown.id != target.id:
        series.navigate(session, shown.id, target.id)
    return target, (index + 1) % len(members) + 1, len(members)


def instance_voi(session: State, entry: LoadedFile) -> Voi | None:
    """Return the window Inspect's *Window* control holds for ``entry`` (``None``: a bad manual one).

    The same choice the page makes from the same session values: a file preset by name,
    *Automatic*, or *Manual* with its centre and width.
    """
    assert entry.dataset is not None
    presets = file_presets(entry.dataset)
    choice = session.get(f"inspect.voi.{entry.id}")
    if choice not in {*(p.name for p in presets), AUTOMATIC.name, "Manual"}:
        return default_voi(entry.dataset)  # as the page sets it
    if choice == "Manual":
        start = presets[0] if presets and presets[0].kind is VoiKind.WINDOW else None
        center = session.get(f"inspect.center.{entry.id}", start.center if start else 0)
        width = session.get(f"inspect.width.{entry.id}", start.width if start else 1000)
        try:
            return manual_window(float(center), float(width))
        except (OverlayError, TypeError, ValueError):
            return None
    return next((p for p in presets if p.name == choice), AUTOMATIC)


def instance_styles(session: State, entry: LoadedFile) -> list[PlaneStyle]:
    """Return the plane styles Inspect's plane controls hold for ``entry`` (defaults where unset)."""
    styles = []
    for p in entry.planes():
        base = default_style(p)
        suffix = f"{entry.id}.{p.group_hex}"
        visible = session.get(f"inspect.visible.{suffix}", True)
        color = parse_color(str(session.get(f"inspect.color.{suffix}", base.color_hex)))
        opacity = float(session.get(f"inspect.opacity.{suffix}", base.opacity))
        styles.append(PlaneStyle(p.group, color, opacity, bool(visible), base.outline))
    return styles


def controls(cine: Cine, playing: bool) -> None:
    """Draw the cine toggle, the rate and what plays (nothing when there is nothing to play)."""
    if not cine.kind:
        return
    rate = cine.rate(st.session_state)
    what = "instances of this series" if cine.kind == "series" else "frames"
    c = st.columns([1, 1.4, 2], vertical_alignment="center")
    c[0].toggle("Cine", key=cine.toggle_key,
                help=f"Play the {cine.count} {what} one after another; stop on the one you want.")
    c[1].select_slider("Images per second", RATES, value=rate, key=cine.rate_key,
                       label_visibility="collapsed")
    c[2].caption(f"{rate} {'instances' if cine.kind == 'series' else 'frames'} per second"
                 + (" · playing" if playing else ""))
