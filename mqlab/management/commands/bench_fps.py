"""Smoothness benchmark: open rooms in Chromium and measure frames per second and long tasks.

``python manage.py bench_fps --seconds 8 --speed 8``

Starts daphne in a subprocess (throwaway database, static files served by the app), opens
Debian's Chromium through Playwright, and measures, for each case, the frames the page drew
(``requestAnimationFrame``) and the time spent in long tasks (``PerformanceObserver``,
"longtask": main-thread work over 50 ms) over ``--seconds``:

- idle: the home page, nothing moving (the machine's own figures);
- kafka-consumer-group: the preset at ``--speed``;
- kafka-hot-key: the scenario at ``--speed``;
- work-queue-100: the RabbitMQ work-queue preset at ``--speed`` with a 100 msg/s producer.

After each case the room is paused and its diagram's counters are compared with a fresh
snapshot (a reload): the counts must still be exact. A measurement, not a test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mqlab.management.commands.bench_stream import _wait_for, free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]

#: Installed before any page script: counts frames and long tasks from the page's start.
PROBE = """
window.__bench = { frames: 0, long: 0, longCount: 0 };
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { __bench.long += entry.duration; __bench.longCount++; }
  }).observe({ type: "longtask", buffered: true });
} catch (e) {}
const tick = () => { __bench.frames++; requestAnimationFrame(tick); };
requestAnimationFrame(tick);
"""

#: What the diagram shows on every node: "id -> counter line", compared after a reload.
COUNTERS = """() => Object.fromEntries([...document.querySelectorAll('#diagram .node')]
  .map((n) => [n.dataset.nodeId, n.querySelector('.node-counters')?.textContent || '']))"""

CASES = (
    ("kafka-consumer-group", "preset", "kafka-consumer-group", None),
    ("kafka-hot-key", "scenario", "kafka-hot-key", None),
    ("work-queue-100", "preset", "rabbitmq-work-queue",
     ("start_producer", {"name": "firehose", "routing_key": "tasks", "rate": "100"})),
)


#: The charts' scripts (issue 12), whose share of the page's JavaScript ``--profile`` prints.
CHART_MODULES = ("charts.js", "sparklines.js", "uPlot.esm.js")


def _start_profiler(context: Any, page: Any) -> Any:
    session = context.new_cdp_session(page)
    session.send("Profiler.enable")
    session.send("Profiler.setSamplingInterval", {"interval": 200})
    session.send("Profiler.start")
    return session


def _js_time(profile: dict[str, Any]) -> tuple[float, float]:
    """Milliseconds of sampled self time in the charts' modules and in all page scripts
    (the profiler's idle, program and garbage-collector entries left out)."""
    urls = {node["id"]: node["callFrame"]["url"] for node in profile["nodes"]}
    names = {node["id"]: node["callFrame"]["functionName"] for node in profile["nodes"]}
    charts = total = 0.0
    for node, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        if names[node] in ("(idle)", "(program)", "(garbage collector)", "(root)"):
            continue
        total += delta / 1000
        if urls[node].split("?")[0].endswith(CHART_MODULES):
            charts += delta / 1000
    return charts, total


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


class Command(BaseCommand):
    help = "Frames per second and long-task time of rooms in Chromium (and of the idle page)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seconds", type=float, default=8.0)
        parser.add_argument("--speed", default="8", choices=["1", "2", "4", "8"])
        parser.add_argument("--width", type=int, default=1440)
        parser.add_argument("--height", type=int, default=900)
        parser.add_argument("--open-charts", action="store_true",
                            help="open each room's chart panel before measuring")
        parser.add_argument("--profile", action="store_true",
                            help="also print the main thread's JavaScript time spent in the "
                                 "charts' modules (CPU profiler), beside all page JavaScript")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as error:
            raise CommandError("bench_fps needs Playwright (pip install playwright)") from error
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "MQLAB_DB": str(Path(folder) / "bench.sqlite3"),
                   "DJANGO_SETTINGS_MODULE": "mqlab.settings", "TMPDIR": folder}
            base = settings.BASE_DIR
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                           cwd=base, env=env, check=True)
            port = free_port()
            log = open(Path(folder) / "daphne.log", "w")  # noqa: SIM115 (closed below)
            server = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0",
                 "mqlab.management.commands._static_asgi:app"], cwd=base, env=env,
                stdout=log, stderr=log)
            try:
                _wait_for(port, server)
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                    try:
                        self._run(browser, f"http://127.0.0.1:{port}", options)
                    finally:
                        browser.close()
            finally:
                server.terminate()
                server.wait(timeout=10)
                log.close()

    def _run(self, browser: Any, base: str, options: dict[str, Any]) -> None:
        seconds = options["seconds"]
        out = self.stdout.write
        out(f"bench_fps: {seconds:g} s per case at {options['speed']}x, "
            f"{options['width']}x{options['height']}, Chromium {browser.version}, "
            f"{os.cpu_count()} CPUs, {load()}"
            f"{', chart panel open' if options.get('open_charts') else ''}")
        idle = self._measure(browser, base, options, None)
        out(f"  {'idle page':22s} {idle['fps']:5.1f} fps   long tasks {idle['long']:6.0f} ms "
            f"({idle['count']})")
        failed = []
        for name, kind, slug, command in CASES:
            figures = self._measure(browser, base, options, (kind, slug, command))
            exact = "counts exact" if figures["exact"] else "COUNTS DIFFER"
            out(f"  {name:22s} {figures['fps']:5.1f} fps   long tasks {figures['long']:6.0f} ms "
                f"({figures['count']})   {exact}   (idle {idle['fps']:.1f} fps, "
                f"{idle['long']:.0f} ms)")
            if figures["js"] is not None:
                charts, total = figures["js"]
                out(f"  {'':22s} JavaScript {total:6.0f} ms, of which charts {charts:5.1f} ms "
                    f"({charts / max(total, 1e-9):.1%}: {', '.join(CHART_MODULES)})")
            if not figures["exact"]:
                failed.append(name)
        # A shared machine's other work steals the page's frames: say how busy it was.
        out(f"  machine at the end: {load()}")
        if failed:
            raise CommandError(f"the diagram's counts differ from a fresh snapshot: {failed}")

    def _measure(self, browser: Any, base: str, options: dict[str, Any],
                 case: tuple[str, str, Any] | None) -> dict[str, Any]:
        context = browser.new_context(viewport={"width": options["width"],
                                                "height": options["height"]})
        page = context.new_page()
        page.add_init_script(PROBE)
        try:
            page.goto(base)
            if case is not None:
                self._open(page, case, options)
            page.evaluate(
                "() => { __bench.frames = 0; __bench.long = 0; __bench.longCount = 0; }")
            profiler = _start_profiler(context, page) if options.get("profile") else None
            page.wait_for_timeout(options["seconds"] * 1000)
            bench = page.evaluate("() => ({ ...__bench })")
            if profiler is not None:
                bench["js"] = _js_time(profiler.send("Profiler.stop")["profile"])
            exact = True
            if case is not None:
                exact = self._counts_exact(page)
        finally:
            context.close()
        return {"fps": bench["frames"] / options["seconds"], "long": bench["long"],
                "count": bench["longCount"], "exact": exact, "js": bench.get("js")}

    def _open(self, page: Any, case: tuple[str, str, Any], options: dict[str, Any]) -> None:
        kind, slug, command = case
        selector = (f"button[data-preset='{slug}']" if kind == "preset"
                    else f"[data-scenario='{slug}'] button[type='submit'], "
                         f"button[data-scenario='{slug}']")
        page.locator(selector).first.click()
        page.wait_for_url("**/rooms/*/")
        page.locator("[data-connection][data-state='open']").wait_for()
        page.select_option("[data-speed-select]", options["speed"])
        if command is not None:
            name, fields = command
            page.evaluate("""([name, fields]) => {
              const form = document.querySelector(`form[data-command="${name}"]`);
              for (const [key, value] of Object.entries(fields)) {
                form.querySelector(`[name="${key}"]`).value = value;
              }
              form.requestSubmit();
            }""", [name, fields])
            page.locator(f"#status-{name}.ok").wait_for()
        if options.get("open_charts"):
            page.locator("[data-charts-toggle]").click()
            page.locator("#charts canvas").first.wait_for()

    def _counts_exact(self, page: Any) -> bool:
        """Pause, let the last tokens land, and compare every node's counters with what a
        fresh page (a new snapshot) draws."""
        page.locator("[data-action='toggle']").click()
        page.locator("[data-toolbar][data-paused='true']").wait_for()
        page.wait_for_timeout(4500)  # tokens land within 4 s (tokens.js MAX_LANDING_MS)
        shown = page.evaluate(COUNTERS)
        page.reload()
        page.locator("[data-connection][data-state='open']").wait_for()
        page.wait_for_timeout(500)
        fresh = page.evaluate(COUNTERS)
        return shown == fresh
