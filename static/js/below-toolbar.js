/**
 * Where the room's drawers (the inspector, "Connect your code") start: just under the toolbar,
 * wherever it is now. The toolbar is sticky: at the top of the page it sits under the headers,
 * and a drawer placed at its stuck height covered Pause, Step and the speed. Kept in
 * --below-toolbar on <html>, written only when it changes (once the toolbar sticks, scrolling
 * changes nothing).
 */

const GAP = 8;

function track(toolbar) {
  let written = null;
  let queued = false;
  const update = () => {
    queued = false;
    const top = `${Math.max(0, Math.round(toolbar.getBoundingClientRect().bottom)) + GAP}px`;
    if (top === written) return;
    written = top;
    document.documentElement.style.setProperty("--below-toolbar", top);
  };
  const later = () => {
    if (!queued) requestAnimationFrame(update);
    queued = true;
  };
  window.addEventListener("scroll", later, { passive: true });
  window.addEventListener("resize", later, { passive: true });
  new ResizeObserver(later).observe(toolbar);
  update();
}

const toolbar = document.querySelector("[data-toolbar]");
if (toolbar) track(toolbar);
