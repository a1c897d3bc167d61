"""What Inspect says about each plane: the image frames it covers, and every finding in full.

A multi-frame plane (60xx,0015)/(60xx,0051) lies on some image frames only; the plane
table says which ("image frames 2–3"), and on a frame without it the view says so rather
than showing nothing without a hint. Findings are listed per plane in full: a table cell
cuts long sentences.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from overlay_core.model import Finding, OverlayPlane
from overlay_core.planes.placement import frame_map
from studio.text import plain
from studio.ui import severity_icon

__all__ = ["absent_on_frame", "covered_frames", "findings_by_plane", "frames_text", "show_findings"]

def covered_frames(plane: OverlayPlane, image_frames: int) -> list[int]:
    """Return the 0-based image frames ``plane`` lies on.

    >>> covered_frames(OverlayPlane(0x6000, 2, 2, frames=2, image_frame_origin=2, frame_specific=True), 4)
    [1, 2]
    """
    return [image for _, image in frame_map(plane, image_frames)]


def frames_text(plane: OverlayPlane, image_frames: int) -> str:
    """Say which image frames a plane covers, 1-based, as people count them.

    >>> p = OverlayPlane(0x6000, 2, 2, frames=2, image_frame_origin=2, frame_specific=True)
    >>> q = OverlayPlane(0x6000, 2, 2)
    >>> frames_text(p, 4), frames_text(q, 4), frames_text(q, 1)
    ('image frames 2–3', 'every image frame', 'the image')
    """
    covered = covered_frames(plane, image_frames)
    if image_frames <= 1:
        return "the image" if covered else "no image frame"
    if len(covered) == image_frames and not plane.frame_specific:
        return "every image frame"
    if not covered:
        return "no image frame"
    if len(covered) == 1:
        return f"image frame {covered[0] + 1}"
    return f"image frames {covered[0] + 1}–{covered[-1] + 1}"


def absent_on_frame(planes: Sequence[OverlayPlane], frame: int, image_frames: int) -> str | None:
    """Say which planes are not on the 0-based image ``frame`` and where they are, or ``None``.

    >>> p = OverlayPlane(0x6000, 2, 2, frames=2, image_frame_origin=2, frame_specific=True)
    >>> absent_on_frame([p], 0, 4)
    'Image frame 1 has no plane 6000 (it covers image frames 2–3).'
    >>> absent_on_frame([p], 1, 4) is None
    True
    """
    missing = [p for p in planes if frame not in covered_frames(p, image_frames)]
    if not missing:
        return None
    where = "; ".join(f"{p.group_hex} covers {frames_text(p, image_frames)}" for p in missing)
    if len(missing) == 1:
        p = missing[0]
        covers = frames_text(p, image_frames)
        return f"Image frame {frame + 1} has no plane {p.group_hex} (it covers {covers})."
    return f"Image frame {frame + 1} has no plane {', '.join(p.group_hex for p in missing)} ({where})."


def findings_by_plane(
    planes: Sequence[OverlayPlane], findings: Sequence[Finding]
) -> dict[int, list[Finding]]:
    """Group findings by the usable plane they concern (planes without findings are left out)."""
    out: dict[int, list[Finding]] = {}
    for plane in planes:
        mine = [f for f in findings if f.group == plane.group]
        if mine:
            out[plane.group] = mine
    return out


def show_findings(planes: Sequence[OverlayPlane], findings: Sequence[Finding]) -> None:
    """Every finding of every plane, in full, one line each under the plane's group."""
    by_plane = findings_by_plane(planes, findings)
    if not by_plane:
        return
    count = sum(len(v) for v in by_plane.values())
    with st.expander(f"Diagnostics of the planes ({count})", expanded=True):
        for group, found in by_plane.items():
            lines = [f"- {severity_icon(f.severity)} `{f.code}`: {plain(f.message)}" for f in found]
            st.markdown(f"**Plane {group:04X}**\n" + "\n".join(lines))
