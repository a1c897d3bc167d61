"""compose paints solid planes in one pass: the result equals painting plane after plane, in order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from overlay_core.render.compose import compose, pool_mask
from overlay_core.render.geometry import fit_view
from overlay_core.render.styles import PlaneStyle


def _edge(m: np.ndarray) -> np.ndarray:
    """Set pixels with an unset 4-neighbour (the image border does not count), as the README says."""
    padded = np.pad(m, 1, mode="edge")
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return m & ~inner


def _one_by_one(base: np.ndarray, masks: dict[int, np.ndarray], styles: list[PlaneStyle], size: int
                ) -> np.ndarray:
    geometry = fit_view(*base.shape, max_size=size)
    out = np.repeat(compose(base, {}, [], geometry)[..., :1], 3, axis=2)
    for style in styles:
        shown = pool_mask(masks[style.group], geometry)
        if style.opacity >= 1:
            out[shown] = style.color
        elif style.opacity > 0:
            over = np.asarray(style.color, np.float32)
            blend = out[shown].astype(np.float32) * (1 - style.opacity) + over * np.float32(style.opacity)
            out[shown] = np.rint(blend).astype(np.uint8)
        if style.outline:
            out[_edge(shown)] = style.color
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000),
       opacities=st.lists(st.sampled_from([0.0, 0.3, 1.0]), min_size=1, max_size=5),
       outlines=st.lists(st.booleans(), min_size=5, max_size=5), size=st.sampled_from([7, 12, 24]))
def test_solid_and_translucent_planes_paint_in_order(seed: int, opacities: list[float], outlines: list[bool],
                                                     size: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (12, 12), dtype=np.uint8)
    groups = [0x6000 + 2 * i for i in range(len(opacities))]
    masks = {g: rng.random((12, 12)) < 0.4 for g in groups}
    styles = [PlaneStyle(g, tuple(int(v) for v in rng.integers(0, 256, 3)), o, True, outlines[i])
              for i, (g, o) in enumerate(zip(groups, opacities, strict=True))]
    got = compose(base, masks, styles, fit_view(12, 12, max_size=size))
    np.testing.assert_array_equal(got, _one_by_one(base, masks, styles, size))
