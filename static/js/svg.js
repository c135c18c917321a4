/** Tiny helpers to build SVG elements without a framework. */

export const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, parent = null) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, value);
  }
  if (parent) parent.appendChild(el);
  return el;
}

export function text(content, attrs, parent) {
  const el = svg("text", attrs, parent);
  el.textContent = content;
  return el;
}

/** Shorten a label to roughly fit `width` diagram units at the given font size. */
export function fit(label, width, fontSize) {
  const max = Math.max(4, Math.floor(width / (fontSize * 0.58)));
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}
