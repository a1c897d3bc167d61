"""Which canvas objects are new: strokes applied on release are applied once each.

The canvas keeps every object drawn since it was mounted and sends them all each time;
the editor keeps the canvas mounted while the user draws (a remount would drop strokes
drawn meanwhile), so it must tell the new objects from those already applied. An
object's *fingerprint* is its JSON; the applied fingerprints are counted, so two
identical strokes are two strokes, and an object removed on the canvas is simply not
seen again.

Between clears the canvas only ever adds objects, and a run may see an older list than the
run before it (a newer rerun interrupted that one), so applied objects are forgotten only
when the canvas reports that it is empty: after an undo clears it, the applied objects it
still sends until it has caught up are not applied again. A run that has no value from the
canvas at all (a rerun interrupted before the canvas was drawn can drop it) is not an empty
canvas: forgetting then would apply every stroke again, counting each twice and adding an
undo step per stroke.

After strokes are applied (or undone, or the plane changes) the canvas is emptied without
a remount: its initial drawing changes to a new *generation*, an invisible marker object
(:func:`marker`) that the canvas sends back with every drawing it holds. Applied objects
are counted per generation, so a drawing sent before the canvas caught up with a clear
(strokes drawn meanwhile) is still applied, each stroke once, and a stroke identical to
one of an earlier generation is a new stroke. A drawing without a marker (a test that
injects one) counts as one generation of its own.

Whether an object draws or erases is read from its own colour, chosen when it was drawn
(:func:`stroke_mode`), so switching the tool while a stroke is on its way never turns a
drawn stroke into an erased one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

__all__ = [
    "ERASE_FILL", "ERASE_STROKE", "applied", "generation_of", "mark_applied", "marker", "new_objects",
    "objects_of", "stroke_mode",
]

#: The colours of eraser strokes on the canvas: a dark veil over what is erased.
ERASE_STROKE = "rgba(20, 20, 20, 0.75)"
ERASE_FILL = "rgba(20, 20, 20, 0.45)"


#: Where the generation marker sits: far off the canvas, where no one can draw.
_MARKER_LEFT = -1_000_000
#: Generations whose applied objects are remembered.
_GENERATIONS = 8


def marker(generation: int) -> dict[str, Any]:
    """Return the invisible object that names a canvas generation (see the module docstring).

    >>> generation_of({"objects": [marker(7)]}), objects_of({"objects": [marker(7)]})
    (7, [])
    """
    return {"type": "Rect", "left": _MARKER_LEFT, "top": _MARKER_LEFT - generation, "width": 1, "height": 1,
            "originX": "left", "originY": "top", "fill": "rgba(0, 0, 0, 0)", "stroke": "rgba(0, 0, 0, 0)",
            "strokeWidth": 0, "opacity": 0, "visible": False, "selectable": False, "evented": False}


def _is_marker(obj: Mapping[str, Any]) -> bool:
    return str(obj.get("type", "")).lower() == "rect" and obj.get("left") == _MARKER_LEFT


def generation_of(drawing: Mapping[str, Any] | None) -> int | None:
    """Return the generation a drawing belongs to, or ``None`` when it has no marker."""
    for obj in (drawing or {}).get("objects") or []:
        if isinstance(obj, Mapping) and _is_marker(obj):
            return int(_MARKER_LEFT - float(obj.get("top", _MARKER_LEFT)))
    return None


def fingerprint(obj: Mapping[str, Any]) -> str:
    """Return an object's fingerprint (its JSON with sorted keys).

    >>> fingerprint({"b": 1, "a": [2]})
    '{"a": [2], "b": 1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(", ", ": "), default=str)


def objects_of(drawing: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """Return the objects of a canvas drawing (``[]`` for none).

    >>> objects_of(None), objects_of({"objects": [{"type": "path"}]})
    ([], [{'type': 'path'}])
    """
    if not drawing:
        return []
    objects = drawing.get("objects") or []
    if not isinstance(objects, Sequence):
        return []
    return [o for o in objects if isinstance(o, Mapping) and not _is_marker(o)]


def applied(memory: MutableMapping[str, Any], canvas_key: str, generation: int | None = None) -> Counter[str]:
    """Return the fingerprints applied from generation ``generation`` of the canvas ``canvas_key``.

    Made on first use. Only the canvas in use is remembered (another key forgets the
    previous one's), and its last few generations.

    >>> memory = {}
    >>> applied(memory, "k", 1)["a"] += 1
    >>> applied(memory, "k", 1)["a"], applied(memory, "k", 2)["a"], applied(memory, "j", 1)["a"]
    (1, 0, 0)
    """
    found = memory.get("applied")
    if not (isinstance(found, tuple) and found[0] == canvas_key and isinstance(found[1], dict)):
        found = (canvas_key, {})
        memory["applied"] = found
    generations: dict[int | None, Counter[str]] = found[1]
    done = generations.get(generation)
    if done is None:
        done = generations[generation] = Counter()
        for old in sorted((g for g in generations if g is not None), reverse=True)[_GENERATIONS:]:
            del generations[old]
    return done


def new_objects(objects: Sequence[Mapping[str, Any]], done: Counter[str]) -> list[Mapping[str, Any]]:
    """Return the objects not yet applied, in drawing order.

    >>> a, b = {"type": "path", "n": 1}, {"type": "path", "n": 2}
    >>> done = Counter({fingerprint(a): 1})
    >>> [o["n"] for o in new_objects([a, b, a], done)]
    [2, 1]
    """
    left = Counter(done)
    fresh = []
    for obj in objects:
        print_ = fingerprint(obj)
        if left[print_] > 0:
            left[print_] -= 1
        else:
            fresh.append(obj)
    return fresh


def mark_applied(done: Counter[str], obj: Mapping[str, Any]) -> None:
    """Count ``obj`` as applied."""
    done[fingerprint(obj)] += 1


def stroke_mode(obj: Mapping[str, Any]) -> str:
    """Return ``"erase"`` for an object drawn with the eraser's colour, else ``"draw"``.

    >>> stroke_mode({"stroke": ERASE_STROKE}), stroke_mode({"stroke": "#ffe119"})
    ('erase', 'draw')
    """
    return "erase" if str(obj.get("stroke", "")).replace(" ", "") == ERASE_STROKE.replace(" ", "") else "draw"
