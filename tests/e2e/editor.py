"""Helpers the editor's browser tests share: open a file, pick a plane, draw, download.

Selectors follow Streamlit's own e2e tests: ``.st-key-<key>`` containers (dots in keys
become dashes) and test ids; every wait is on an element or on the script state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from overlay_core.planes.reading import load

CANVAS = '[class*="st-key-canvas-"] canvas.dc-canvas'

#: JavaScript defining ``background()``: the drawing canvas' background element (it lives in
#: the component's shadow root), or ``null``; put at the start of a function's body.
FIND_BACKGROUND = """const find = (root) => {
    const found = root.querySelector('canvas.dc-background-canvas');
    if (found) return found;
    for (const el of root.querySelectorAll('*')) {
      const inner = el.shadowRoot && find(el.shadowRoot);
      if (inner) return inner;
    }
    return null;
  };
  const background = () => {
    const host = document.querySelector('[class*="st-key-canvas-"]');
    return host ? find(host) : null;
  };"""


def wait_idle(page: Any) -> None:
    """Wait until the script is not running and no element is stale (left from a rerun)."""
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
              && document.querySelectorAll('[data-stale="true"]').length === 0"""
    )


def open_file(page: Any, server: str, path: Path) -> None:
    """Load the app, upload ``path`` on the Open page and wait until it is the active file."""
    page.goto(server)
    upload(page, path)


def upload(page: Any, path: Path) -> None:
    """Upload ``path`` on the Open page (shown) and wait until it is the active file."""
    page.locator(".st-key-upload input[type=file]").set_input_files(str(path))
    page.get_by_test_id("stSidebar").get_by_text(path.name).wait_for()
    wait_idle(page)


def goto(page: Any, title: str) -> None:
    """Open a page from the sidebar navigation and wait for it to finish."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title).wait_for()
    wait_idle(page)


def press(page: Any, key: str) -> None:
    """Click the button whose widget key is ``key`` and wait for the run it starts.

    Buttons in columns carry a hidden copy for measuring their label, so the button is
    found by its role, which skips that copy.
    """
    page.locator(f".st-key-{key.replace('.', '-')}").get_by_role("button").click()
    wait_idle(page)


def pick_plane(page: Any, file_id: str, group: int) -> None:
    """Choose ``group`` in the Edit page's plane picker.

    A rerun that lands while the list is open (the editor settles its size on the first
    runs) closes it; then the list is opened again.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        wait_idle(page)
        page.locator(f".st-key-edit-plane-{file_id}").click()
        try:
            page.get_by_role("option", name=f"{group:04X}", exact=True).click(timeout=5000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        wait_idle(page)
        return
    raise AssertionError(f"plane {group:04X} could not be picked")


def canvas_compared_with(page: Any, before: bytes, *, same: bool, timeout_ms: int = 15_000) -> bytes:
    """The canvas' screenshot once it is (``same``) or is not the same as ``before``.

    A gesture or a refused stroke reaches the server as a rerun and the canvas repaints
    after the script ends, so one look once the page is idle can be too early on a busy
    machine. Fails after ``timeout_ms``.
    """
    waited = 0
    while waited < timeout_ms:
        canvas_box(page)
        shot: bytes = page.locator(CANVAS).last.screenshot()
        if (shot == before) == same:
            return shot
        page.wait_for_timeout(200)
        waited += 200
    raise AssertionError(f"the canvas did not {'return' if same else 'change'} within {timeout_ms} ms")


#: What the gestures component knows of the view it waits for (for a failure's message).
VIEW_STATE = """() => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.__overlayGestures) out.push(el.__overlayGestures);
      if (el.shadowRoot && el.shadowRoot.__overlayGestures) out.push(el.shadowRoot.__overlayGestures);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const pic = window.__overlayStudioPicture;
  const bgs = [];
  const walkBg = (root) => {
    for (const el of root.querySelectorAll('canvas.dc-background-canvas')) bgs.push(el);
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walkBg(el.shadowRoot);
  };
  walkBg(document);
  return JSON.stringify({
    gestures: out.map((g) => ({view: g.data && g.data.view, shown: g.shownView, mount: g.mount,
      viewSerial: g.viewSerial, handled: g.data && g.data.handled, wheel: !!g.wheel,
      drag: g.drag && g.drag.kind,
      sig: g.data && g.data.signature && [g.data.signature[0].length, g.data.signature[1].length],
      dataAge: performance.now() - (g.dataAt || 0), shows: g.showsView && g.showsView(),
      pending: g.viewPending && g.viewPending(), watching: !!g.watchFrame, asked: !!g.askedFor})),
    picture: pic && {view: pic.view,
      sig: pic.signature && [pic.signature[0].length, pic.signature[1].length]},
    backgrounds: bgs.map((c) => {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const rows = new Array(c.height).fill(0);
      for (let i = 0; i < px.length; i += 4) {
        rows[Math.floor(i / 4 / c.width)] += px[i] + px[i + 1] + px[i + 2];
      }
      const sig = pic && pic.signature || (out[0] && out[0].data && out[0].data.signature);
      const diffs = sig && sig[0].length === rows.length ? rows.map((v, i) => Math.abs(v - sig[0][i])) : null;
      return [c.width, c.height, c.style.width, c.style.height, rows.reduce((a, b) => a + b, 0),
        diffs && Math.max(...diffs), diffs && diffs.filter((d) => d).length];
    }),
    canvases: document.querySelectorAll('[class*="st-key-canvas-"]').length,
    dpr: window.devicePixelRatio,
  });
}"""


def canvas_box(page: Any) -> dict[str, float]:
    """The drawing canvas' box on the page, once it is shown and the page is idle.

    A new plane or frame mounts a new canvas; the old one may still be detaching. A new view
    keeps the canvas, which takes no stroke until it shows the new view's picture
    (``window.__overlayStudioViewPending``, see ``studio/static/gestures.js``).
    """
    for _ in range(50):
        wait_idle(page)
        canvas = page.locator(CANVAS).last
        canvas.wait_for(state="visible")
        try:
            page.wait_for_function("() => window.__overlayStudioViewPending === false", timeout=20000)
        except Exception as error:
            raise AssertionError(f"the canvas never showed its view: {page.evaluate(VIEW_STATE)}") from error
        box = canvas.bounding_box()
        if box is not None and page.locator('[class*="st-key-canvas-"]').count() == 1:
            return dict(box)
        page.wait_for_timeout(100)  # the old canvas is being removed
    raise AssertionError("the drawing canvas did not settle")


def stroke(page: Any, points: list[tuple[float, float]], steps: int = 8) -> None:
    """Draw one brush stroke through ``points``, given in canvas pixels."""
    box = canvas_box(page)
    x0, y0 = points[0]
    page.mouse.move(box["x"] + x0, box["y"] + y0)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=steps)
    page.mouse.up()


def commit(page: Any, applied: int) -> None:
    """Wait until the editor has applied ``applied`` strokes on this canvas.

    In the collect-then-Apply way (an ``apply`` button is shown) click it first.
    """
    button = page.locator(".st-key-apply").get_by_role("button")
    if button.count():
        wait_idle(page)
        button.click()
    page.locator(".st-key-edit-status").get_by_text(f"{applied} applied", exact=False).wait_for()
    wait_idle(page)


def download(page: Any) -> Dataset:
    """Download the active file from the Export page and read it."""
    goto(page, "Export")
    button = page.locator(".st-key-download button")
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    return load(Path(info.value.path()).read_bytes())
