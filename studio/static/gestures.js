// Viewer gestures, as in OHIF or Weasis: the browser half of studio/gestures.py (a Custom
// Component v2, no iframe). The protocol, data in and events out, is in that module's docstring.
// streamlit-drawable-canvas 0.13 disposes its fabric canvas when it unmounts (a new plane, frame
// or view mounts a new one) without aborting a loadFromJSON still under way; when that load ends
// it clears the disposed canvas and rejects with "Cannot read properties of undefined (reading
// 'clearRect')". That canvas is already gone from the page and holds nothing not stored, so this
// one rejection (and no other) is not reported as an error.
if (!window.__overlayDisposedCanvasQuiet) {
  window.__overlayDisposedCanvasQuiet = true;
  window.addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    if (reason instanceof TypeError && /reading 'clearRect'/.test(reason.message)
        && /clearContext/.test(reason.stack || "")) event.preventDefault();
  });
}

export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const hostEl = parentElement instanceof ShadowRoot ? parentElement.host : parentElement;
  let self = parentElement.__overlayGestures;
  if (!self) {
    self = { serial: 0, events: [], mount: Math.random().toString(36).slice(2), space: false,
             hover: false, drag: null, wheel: null, moved: new Set(), setStateValue, data };
    const box = document.createElement("div");
    box.className = "og-box";
    const img = document.createElement("img");
    img.draggable = false;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "og-ruler");
    const label = document.createElement("div");
    label.className = "og-label";
    box.append(img, svg, label);
    parentElement.appendChild(box);
    Object.assign(self, { box, img, svg, label });
    const push = (event) => {
      self.serial += 1;
      if (self.data.canvas && ["zoom", "pan", "fit"].includes(event.kind)) self.viewSerial = self.serial;
      self.events = [...self.events, [self.serial, event]].slice(-16);
      self.setStateValue("events", { mount: self.mount, events: self.events });
    };
    // The element gestures act on, and the one previewed, for an event's target.
    const targetOf = (e) => {
      const path = e.composedPath ? e.composedPath() : [];  // events in a shadow root: e.target is its host
      if (!self.data.canvas) return path.includes(self.box) ? { view: self.img, move: self.img } : null;
      const isCanvas = (el) => el.classList && [...el.classList].some((c) => c.startsWith("st-key-canvas-"));
      const host = path.find(isCanvas);
      if (!host) return null;
      const view = path.find((el) => el.classList && el.classList.contains("dc-container"));
      return view ? { view, move: view } : null;
    };
    const fraction = (view, e) => {
      const r = view.getBoundingClientRect();
      return { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height, r };
    };
    self.onWheel = (e) => {
      const t = targetOf(e);
      if (!t) return;
      e.preventDefault();
      e.stopPropagation();
      if (self.data.canvas && (e.buttons & 1)) return;  // a stroke under way is drawn in the view it began in
      const w = self.wheel || (self.wheel = { steps: 0, t, at: fraction(t.view, e) });
      w.steps += e.deltaY < 0 ? 1 : -1;
      const f = w.at;
      self.moved.add(t.move);
      t.move.style.transformOrigin = `${f.x * 100}% ${f.y * 100}%`;
      t.move.style.transform = `scale(${Math.pow(1.25, w.steps)})`;
      clearTimeout(self.wheelTimer);
      self.startWatch();
      self.wheelTimer = setTimeout(() => {
        const done = self.wheel; self.wheel = null;
        if (done && done.steps) push({ kind: "zoom", steps: done.steps, x: done.at.x, y: done.at.y });
        self.startWatch();
      }, 140);
    };
    self.onDown = (e) => {
      const t = targetOf(e);
      if (!t) return;
      const measuring = e.button === 0 && self.data.ruler && !self.data.canvas;
      const kind = e.button === 1 || (e.button === 0 && self.space) ? "pan"
        : e.button === 2 ? "window" : measuring ? "ruler" : null;
      if (!kind && e.button === 0 && self.data.canvas && self.viewPending()) {
        // The canvas' background does not show the new view yet: a stroke now would be drawn
        // over one picture and stored in another view's pixels. Held until it does.
        self.held = true;
        e.preventDefault();
        e.stopImmediatePropagation();
        return;
      }
      if (!kind) return;
      e.preventDefault();
      e.stopImmediatePropagation();  // the drawing canvas never sees it
      const f = fraction(t.view, e);
      self.drag = { kind, t, x0: e.clientX, y0: e.clientY, f0: f };
      self.moved.add(t.move);
    };
    self.onMove = (e) => {
      const d = self.drag;
      if (!d) { self.hover = !!targetOf(e); return; }
      e.preventDefault();
      e.stopImmediatePropagation();
      const dx = e.clientX - d.x0, dy = e.clientY - d.y0;
      if (d.kind === "pan") d.t.move.style.transform = `translate(${dx}px, ${dy}px)`;
      if (d.kind === "window") {
        d.t.move.style.filter = `contrast(${Math.exp(-dx / 300)}) brightness(${Math.exp(-dy / 300)})`;
      }
      if (d.kind === "ruler") self.drawRuler(d.f0, fraction(d.t.view, e));
    };
    self.onUp = (e) => {
      if (self.held) { self.held = false; e.preventDefault(); e.stopImmediatePropagation(); return; }
      const d = self.drag;
      if (!d) return;
      self.drag = null;
      e.preventDefault();
      e.stopImmediatePropagation();
      const dx = e.clientX - d.x0, dy = e.clientY - d.y0;
      const r = d.f0.r;
      if (Math.abs(dx) + Math.abs(dy) < 2) { self.reset(); return; }
      if (d.kind === "pan") { push({ kind: "pan", dx: dx / r.width, dy: dy / r.height }); self.startWatch(); }
      if (d.kind === "window") push({ kind: "window", dx, dy });
      if (d.kind === "ruler") {
        const f = fraction(d.t.view, e);
        push({ kind: "ruler", x0: d.f0.x, y0: d.f0.y, x1: f.x, y1: f.y });
      }
    };
    self.drawRuler = (a, b) => {
      const r = self.img.getBoundingClientRect();
      const [x0, y0, x1, y1] = [a.x * r.width, a.y * r.height, b.x * r.width, b.y * r.height];
      self.svg.innerHTML = `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y1}"/>`
        + `<circle cx="${x0}" cy="${y0}" r="3"/><circle cx="${x1}" cy="${y1}" r="3"/>`;
      const sp = self.data.spacing;
      const px = Math.hypot(x1 - x0, y1 - y0);
      const mm = sp ? Math.hypot((x1 - x0) * sp[1], (y1 - y0) * sp[0]) : null;
      const scale = self.data.width / (self.data.image_cols || self.data.width);
      self.label.textContent = mm !== null ? `${mm.toFixed(1)} mm` : `${(px / scale).toFixed(1)} px`;
      Object.assign(self.label.style, { left: `${x1 + 6}px`, top: `${y1 + 6}px`, display: "block" });
    };
    self.onDblClick = (e) => {
      if (self.data.canvas || !targetOf(e)) return;
      e.preventDefault();
      push({ kind: "fit" });
    };
    self.onContext = (e) => { if (targetOf(e)) e.preventDefault(); };
    self.onKey = (e) => {
      const tag = (e.target && e.target.tagName || "").toLowerCase();
      if (e.key !== " " || ["input", "textarea", "select"].includes(tag)) return;
      if (e.type === "keyup") { self.space = false; return; }
      if (self.hover) { self.space = true; e.preventDefault(); }  // not a page scroll, nor a click
    };
    self.reset = () => {  // the previews end: the server's view is shown as it is
      for (const el of self.moved) { el.style.transform = ""; el.style.filter = ""; }
      self.moved.clear();
    };
    self.report = () => {
      let width = Math.floor(hostEl.clientWidth);
      const d = self.data;
      if (d.src && d.width > 0 && d.height > 0) {
        // Inspect: no taller than the window leaves below the picture's top, less the room its
        // caption and controls take (``below``), so the picture and its controls fit in one screen.
        const top = hostEl.getBoundingClientRect().top + window.scrollY;
        const room = Math.max(240, window.innerHeight - top - (d.below || 0));
        width = Math.min(width, Math.floor(room * d.width / d.height));
      }
      if (width && width !== self.width) { self.width = width; self.setStateValue("width", width); }
    };
    self.onMouseDown = (e) => { if (self.drag || self.held) e.stopImmediatePropagation(); };
    // Edit: is the view the canvas shows behind the server's? From a zoom or pan gesture until
    // a run that took it has drawn its view, and until the canvas' background shows that view's
    // picture (its row and column sums, studio/editor/views.py, equal the canvas' own).
    self.viewPending = () => {
      const d = self.data;
      if (!d.canvas) return false;
      if (self.wheel || (self.drag && self.drag.kind === "pan")) return true;
      const h = d.handled || [null, 0];
      if (self.viewSerial && (h[0] !== self.mount || h[1] < self.viewSerial)) return true;
      return self.shownView !== d.view;
    };
    const sums = (canvas) => {
      const w = canvas.width, h = canvas.height;
      const px = canvas.getContext("2d").getImageData(0, 0, w, h).data;
      const rows = new Array(h).fill(0), cols = new Array(w).fill(0);
      for (let y = 0, i = 0; y < h; y += 1) {
        let row = 0;
        for (let x = 0; x < w; x += 1, i += 4) {
          const v = px[i] + px[i + 1] + px[i + 2];
          row += v;
          cols[x] += v;
        }
        rows[y] = row;
      }
      return [rows, cols];
    };
    const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
    self.showsView = () => {
      const sig = self.data.signature;
      if (!sig) return true;  // no picture (no frame of the plane here): nothing to wait for
      for (const host of document.querySelectorAll('[class*="st-key-canvas-"]')) {
        const bg = deepFind(host, "canvas.dc-background-canvas");
        if (!bg || bg.height !== sig[0].length || bg.width !== sig[1].length) continue;
        const [rows, cols] = sums(bg);
        if (same(rows, sig[0]) && same(cols, sig[1])) return true;
      }
      return false;
    };
    self.watch = () => {  // each frame while the view is pending
      self.watchFrame = null;
      const d = self.data;
      if (!d.canvas) return;
      const waitsForRun = self.wheel || (self.drag && self.drag.kind === "pan")
        || (self.viewSerial && ((d.handled || [])[0] !== self.mount || (d.handled || [])[1] < self.viewSerial));
      if (!waitsForRun && self.shownView !== d.view && performance.now() - (self.dataAt || 0) > 2000
          && self.askedFor !== d) {
        // Still not shown 2 s after the server's view arrived (a picture that failed to load,
        // or a run that was lost): ask for a run, which sends the view again.
        self.askedFor = d;
        push({ kind: "redraw" });
      }
      if (!waitsForRun && self.shownView !== d.view && self.showsView()) {
        self.shownView = d.view;
        self.shownExtent = d.extent;
        if (!self.drag) self.reset();  // the true view replaces the preview, in the same frame
        self.place();
      }
      window.__overlayStudioViewPending = self.viewPending();
      if (window.__overlayStudioViewPending) self.watchFrame = requestAnimationFrame(self.watch);
    };
    self.startWatch = () => {
      window.__overlayStudioViewPending = self.viewPending();
      if (self.data.canvas && !self.watchFrame && window.__overlayStudioViewPending) {
        self.watchFrame = requestAnimationFrame(self.watch);
      }
    };
    // A pause after strokes: the pointer up and still for 0.6 s (Edit).
    self.rest = { since: performance.now(), down: false, asked: false };
    self.onActivity = (e) => {
      if (!self.data.canvas) return;
      if (e.type === "pointerdown") self.rest.down = true;
      if (e.type === "pointerup") self.rest.down = false;
      if (e.type !== "pointermove" || e.buttons) self.rest.since = performance.now();
    };
    self.resting = setInterval(() => {
      const r = self.rest;
      if (self.data.canvas && self.data.pending && !r.down && !r.asked && performance.now() - r.since > 600) {
        r.asked = true;
        push({ kind: "idle" });
      }
    }, 100);
    // The plane's extent over the drawing canvas (inside its shadow root, so a page style
    // cannot reach it); a canvas mounted later is found on the next tick.
    const deepFind = (root, selector) => {
      const found = root.querySelector(selector);
      if (found) return found;
      for (const el of root.querySelectorAll("*")) {
        const inner = el.shadowRoot && deepFind(el.shadowRoot, selector);
        if (inner) return inner;
      }
      return null;
    };
    self.place = () => {
      if (!self.data.canvas) return;
      for (const host of document.querySelectorAll('[class*="st-key-canvas-"]')) {
        const container = deepFind(host, ".dc-container");
        if (!container) continue;
        let box = container.querySelector(".og-extent");
        const x = self.shownExtent;  // moved with the picture, not before it
        if (!x) { if (box) box.remove(); continue; }
        if (!box) {
          box = document.createElement("div");
          box.className = "og-extent";
          Object.assign(box.style, { position: "absolute", pointerEvents: "none", zIndex: 5,
                                     outline: "1px dashed #ff9f1c", boxSizing: "border-box" });
          container.style.position = "relative";
          container.appendChild(box);
        }
        Object.assign(box.style, { left: x[0] + "px", top: x[1] + "px" });
        Object.assign(box.style, { width: x[2] + "px", height: x[3] + "px" });
      }
    };
    self.placer = setInterval(self.place, 300);
    for (const type of ["pointerdown", "pointermove", "pointerup"]) {
      window.addEventListener(type, self.onActivity, true);
    }
    window.addEventListener("wheel", self.onWheel, { capture: true, passive: false });
    window.addEventListener("pointerdown", self.onDown, true);
    window.addEventListener("mousedown", self.onMouseDown, true);
    window.addEventListener("pointermove", self.onMove, true);
    window.addEventListener("pointerup", self.onUp, true);
    window.addEventListener("dblclick", self.onDblClick, true);
    window.addEventListener("contextmenu", self.onContext, true);
    window.addEventListener("keydown", self.onKey, true);
    window.addEventListener("keyup", self.onKey, true);
    self.observer = new ResizeObserver(() => self.report());
    self.observer.observe(hostEl);
    window.addEventListener("resize", self.report);  // a window only taller or shorter
    parentElement.__overlayGestures = self;
  }
  // Each new view is checked on screen again, even one shown before (in, then out at once:
  // the picture of the view in between may have been drawn meanwhile).
  if (data.canvas && self.data && data.view !== self.data.view) self.shownView = null;
  self.data = data;
  self.dataAt = performance.now();
  self.setStateValue = setStateValue;
  hostEl.dataset.ruler = data.ruler ? "on" : "off";  // a left drag measures (tests wait for it)
  if (data.canvas) {
    window.__overlayStudioView = data.view;  // the key listener draws a stroke again in its own view only
    window.__overlayStudioGeneration = data.generation;
    window.__overlayStudioPending = !!data.pending;
    if (data.pending !== self.lastPending) self.rest.asked = false;  // new strokes wait: ask again
    self.lastPending = data.pending;
  }
  self.box.style.display = data.src ? "inline-block" : "none";
  if (data.src && self.img.src !== data.src) self.img.src = data.src;
  if (data.src) {
    self.img.style.width = data.width + "px";
    self.img.style.height = data.height + "px";
    self.svg.setAttribute("width", data.width);
    self.svg.setAttribute("height", data.height);
  }
  if (data.canvas && !self.viewPending()) self.shownExtent = data.extent;
  if (data.canvas) self.startWatch();
  if (!self.drag && !self.wheel && !(data.canvas && self.viewPending())) {
    self.reset();
    if (!data.ruler || self.lastSrc !== data.src) {
      self.svg.innerHTML = "";
      self.label.style.display = "none";
    }
  }
  self.lastSrc = data.src;
  self.report();
  self.place();
  return () => {
    window.removeEventListener("wheel", self.onWheel, { capture: true });
    window.removeEventListener("pointerdown", self.onDown, true);
    window.removeEventListener("mousedown", self.onMouseDown, true);
    window.removeEventListener("pointermove", self.onMove, true);
    window.removeEventListener("pointerup", self.onUp, true);
    window.removeEventListener("dblclick", self.onDblClick, true);
    window.removeEventListener("contextmenu", self.onContext, true);
    window.removeEventListener("keydown", self.onKey, true);
    window.removeEventListener("keyup", self.onKey, true);
    self.observer.disconnect();
    window.removeEventListener("resize", self.report);
    clearInterval(self.placer);
    if (self.watchFrame) cancelAnimationFrame(self.watchFrame);
    if (data.canvas) window.__overlayStudioViewPending = false;  // the held presses were this instance's
    clearInterval(self.resting);
    for (const type of ["pointerdown", "pointermove", "pointerup"]) {
      window.removeEventListener(type, self.onActivity, true);
    }
    self.box.remove();
    delete parentElement.__overlayGestures;
  };
}
