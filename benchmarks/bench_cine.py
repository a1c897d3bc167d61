"""Inspect's cine in Chromium: the rate reached against the rate chosen, for a series and for frames.

Run by ``make bench`` (``python benchmarks/bench_cine.py``); it prints a table and is not a
test. A generated series of ``--count`` 512 x 512 16-bit images (a smooth phantom that moves
from instance to instance, a little noise, one plane each) is uploaded, its first instance
opened on Inspect and cine started at each ``--rates``; then, for comparison, one multi-frame
image of as many frames. For ``--seconds`` the page looks once per screen frame
(``requestAnimationFrame``) for a new picture, loaded, in the viewer and a new instance or
frame named in its caption; the table gives pictures shown per second, the median gap
between them, and the share of caption steps that went to the very next instance or frame
(the rest skipped some: the browser drew only the latest of the updates that reached it).

Timings are wall-clock on whatever else the machine is doing: on the shared 2-core machine
note the load the script prints with them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.uid import generate_uid

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.builders import add_plane, image_dataset, to_file_bytes  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS, chromium_path, streamlit_server  # noqa: E402
from tests.e2e.editor import goto, wait_idle  # noqa: E402

SIZE = 512


def phantom(index: int, count: int) -> np.ndarray:
    """A 12-bit disc whose inner disc moves down the series, with a little noise."""
    y, x = np.mgrid[:SIZE, :SIZE] / SIZE - 0.5
    inner = (x ** 2 + (y - 0.3 + 0.6 * index / max(count - 1, 1)) ** 2) < 0.01
    image = 1500.0 * (x ** 2 + y ** 2 < 0.16) + 1500.0 * inner
    noise = np.random.default_rng(index).normal(0, 40, image.shape)
    return np.clip(image + noise + 300, 0, 4095).astype(np.uint16)


def plane(index: int, count: int) -> np.ndarray:
    mask = np.zeros((1, SIZE, SIZE), bool)
    row = 60 + (SIZE - 140) * index // max(count - 1, 1)
    mask[0, row: row + 20, 100: SIZE - 100] = True
    return mask


def series_files(folder: Path, count: int) -> list[Path]:
    uid, paths = generate_uid(), []
    for k in range(count):
        ds = image_dataset(SIZE, SIZE)
        ds.SeriesInstanceUID, ds.InstanceNumber = uid, k + 1
        ds.PixelData = phantom(k, count).tobytes()
        add_plane(ds, 0x6000, plane(k, count))
        path = folder / f"cine{k + 1:03d}.dcm"
        path.write_bytes(to_file_bytes(ds))
        paths.append(path)
    return paths


def multiframe_file(folder: Path, count: int) -> Path:
    ds = image_dataset(SIZE, SIZE, frames=count)
    ds.PixelData = np.stack([phantom(k, count) for k in range(count)]).tobytes()
    add_plane(ds, 0x6000, plane(0, count))
    path = folder / f"multiframe-{count}.dcm"
    path.write_bytes(to_file_bytes(ds))
    return path


_RECORD = """() => {
  window.__cine = { loads: [], names: [] };
  const find = (root) => {  // the picture lives in the component's shadow root
    const found = root.querySelector('img');
    if (found) return found;
    for (const el of root.querySelectorAll('*')) {
      const inner = el.shadowRoot && find(el.shadowRoot);
      if (inner) return inner;
    }
    return null;
  };
  const img = find(document.querySelector('.st-key-inspect-viewer'));
  let shown = img.currentSrc;
  const sample = (now) => {  // once per screen frame: a new picture loaded, a new name in the caption
    if (img.complete && img.naturalWidth && img.currentSrc !== shown) {
      shown = img.currentSrc;
      window.__cine.loads.push(now);
    }
    const caption = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
      .find((c) => c.textContent.includes('of full size'));
    const found = caption && caption.textContent.match(/(instance|frame) (\\d+) of/);
    const names = window.__cine.names;
    if (found && (!names.length || names[names.length - 1][1] !== +found[2])) names.push([now, +found[2]]);
    window.__cineFrame = requestAnimationFrame(sample);
  };
  window.__cineFrame = requestAnimationFrame(sample);
}"""


def set_rate(page: Any, rate: int, rates: tuple[int, ...]) -> None:
    """Move the rate slider to ``rate`` with the keyboard (Home, then one step per option)."""
    thumb = page.locator('[class*="st-key-inspect-rate-"] input[type=range]')
    thumb.focus()
    page.keyboard.press("Home")
    for _ in range(rates.index(rate)):
        page.keyboard.press("ArrowRight")
    wait_idle(page)


def play(page: Any, rate: int, seconds: float, count: int) -> dict[str, float]:
    from studio.cine import RATES

    set_rate(page, rate, RATES)
    page.evaluate(_RECORD)
    toggle = page.locator('[class*="st-key-inspect-cine-"] label').first
    toggle.click()
    page.wait_for_timeout(seconds * 1000)
    toggle.click()
    record = page.evaluate("() => { cancelAnimationFrame(window.__cineFrame); return window.__cine; }")
    wait_idle(page)
    loads = record["loads"][1:]  # from the second picture: the first waited for the toggle's run
    names = record["names"]
    gaps = [b - a for a, b in pairwise(loads)]
    steps = [(b[1] - a[1]) % count for a, b in pairwise(names)]
    span = (loads[-1] - loads[0]) / 1000 if len(loads) > 1 else float("nan")
    return {"per_second": (len(loads) - 1) / span if span else float("nan"),
            "median_gap_ms": statistics.median(gaps) if gaps else float("nan"),
            "in_order": sum(s == 1 for s in steps) / len(steps) if steps else float("nan"),
            "pictures": len(loads)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="instances (and frames), 3 to 20")
    parser.add_argument("--rates", type=int, nargs="*", default=[5, 10, 30])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    path_to_chromium = chromium_path()
    if path_to_chromium is None:
        sys.exit("bench_cine: no Chromium (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    rows = []
    with (tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright,
          streamlit_server("--server.address", "127.0.0.1") as (url, _)):
        browser = playwright.chromium.launch(executable_path=path_to_chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            paths = series_files(Path(folder), args.count)
            page.goto(url)
            page.locator(".st-key-upload input[type=file]").set_input_files([str(p) for p in paths])
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_text(f"Series: {args.count} instances", exact=False).wait_for(timeout=120_000)
            wait_idle(page)
            sidebar.get_by_role("button", name=paths[0].name).click()
            wait_idle(page)
            goto(page, "Inspect")
            page.locator(".st-key-inspect-viewer img").wait_for()
            for rate in args.rates:
                rows.append(("series", rate, play(page, rate, args.seconds, args.count), os.getloadavg()[0]))
            page.close()
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(url)
            page.locator(".st-key-upload input[type=file]").set_input_files(
                str(multiframe_file(Path(folder), args.count)))
            page.get_by_test_id("stSidebar").get_by_text("multiframe", exact=False).first.wait_for()
            wait_idle(page)
            goto(page, "Inspect")
            page.locator(".st-key-inspect-viewer img").wait_for()
            for rate in args.rates:
                rows.append(("frames", rate, play(page, rate, args.seconds, args.count), os.getloadavg()[0]))
        finally:
            browser.close()
    print(f"\nInspect cine, {args.count} x {SIZE}² 16-bit, {args.seconds:g} s per rate (Chromium 1366 x 768)")
    print(f"{'plays':8} {'chosen/s':>9} {'reached/s':>10} {'median gap':>11} {'in order':>9} {'load':>5}")
    for kind, rate, r, load in rows:
        print(f"{kind:8} {rate:9d} {r['per_second']:10.1f} {r['median_gap_ms']:9.0f} ms"
              f" {r['in_order']:8.0%} {load:5.2f}")


if __name__ == "__main__":
    main()
