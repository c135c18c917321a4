/**
 * What moves over the diagram (tokens, the floating marks, the skipped-movement badges) is
 * drawn in HTML on a layer laid exactly over the SVG, in the diagram's own units. Why not in
 * the SVG: Chromium runs a Web Animation of an SVG element's transform on the main thread,
 * restyling, laying out and repainting the picture every frame; an HTML element's transform
 * and opacity animate on the compositor, so at 8x dozens of tokens cost the page almost
 * nothing per frame (bench_fps measures it).
 */

export class Overlay {
  /** `root`: the diagram's <svg>; the overlay goes right after it (absolutely placed). */
  constructor(root) {
    this.root = root;
    this.element = div("diagram-overlay");
    this.element.setAttribute("aria-hidden", "true");
    // One scaled box in the SVG's units; children place themselves in those units.
    this.stage = div("overlay-stage", this.element);
    this.tokens = div("tokens", this.stage);
    this.marks = div("overlay-marks", this.stage);
    this.viewBox = { width: 1, height: 1 };
    if (root.parentNode) root.after(this.element);
    const observer = new ResizeObserver(() => this.place());
    observer.observe(root);
    if (root.parentElement) observer.observe(root.parentElement); // the panel above may grow
  }

  /** The SVG's viewBox changed (a new layout). */
  setViewBox(width, height) {
    this.viewBox = { width, height };
    this.place();
  }

  /** Lay the overlay over the SVG, scaled as its viewBox is (xMidYMid meet). */
  place() {
    const { root, element, stage } = this;
    const holder = element.offsetParent; // the diagram panel (position: relative)
    if (!holder) return;
    // An <svg> has no offsetLeft/offsetTop: measure it against the panel it scrolls in.
    const at = root.getBoundingClientRect(), frame = holder.getBoundingClientRect();
    const left = at.left - frame.left - holder.clientLeft + holder.scrollLeft;
    const top = at.top - frame.top - holder.clientTop + holder.scrollTop;
    const w = at.width, h = at.height;
    const key = `${left} ${top} ${w} ${h} ${this.viewBox.width} ${this.viewBox.height}`;
    if (key === this.placed) return; // nothing moved: no style to invalidate
    this.placed = key;
    Object.assign(element.style, { left: `${left}px`, top: `${top}px`, width: `${w}px`,
      height: `${h}px` });
    const scale = Math.min(w / this.viewBox.width, h / this.viewBox.height) || 1;
    const dx = (w - this.viewBox.width * scale) / 2, dy = (h - this.viewBox.height * scale) / 2;
    stage.style.transform = `translate(${dx}px, ${dy}px) scale(${scale})`;
  }
}

/** A zero-size box at (x, y) of the diagram: what it holds is placed relative to that point. */
export function pin(className, x, y, parent) {
  const el = div(className, parent);
  el.style.left = `${x}px`;
  el.style.top = `${y}px`;
  return el;
}

export function div(className, parent) {
  const el = document.createElement("div");
  el.className = className;
  parent?.append(el);
  return el;
}
