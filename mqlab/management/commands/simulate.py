"""``python manage.py simulate SCENARIO [--seed N] [--until T] [--jsonl] [--metrics F]``: run
one headless.

SCENARIO is a file path or a library name (``python manage.py simulate --list``). Prints a
summary (published, delivered, duplicated side effects, lost, dead-lettered, max depth, max
lag, each expectation met or not); ``--jsonl`` prints every event as one JSON line instead,
then the summary as a last JSON line. Same seed, same output. Exit status: 0 when every
expectation is met, 1 when one is not, 2 when the scenario is invalid.

``--metrics out.csv`` also writes the run's metrics (``engine.metrics``: the series a room's
charts show, sampled every virtual second) as CSV: one row per instant and node, columns
``t,node,depth,in_flight,lag,publish_rate,deliver_rate,ack_rate,dlq,consumers`` (empty where a
series means nothing for the node). Every sample is kept at full resolution up to
``CSV_SAMPLES`` instants (older ones would be folded into buckets, as in a room).

``--walkthrough NAME`` plays a walkthrough step by step instead, printing each step's
narration, prediction, reveal and checkpoints (exit status 1 when a checkpoint fails).
"""

from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engine.errors import EngineError
from engine.events import Event
from engine.metrics import SERIES
from engine.scenario import Result, Run, StepResult, Walkthrough
from mqlab.scenarios import ScenarioError, library_names, load, load_walkthrough

#: Instants a headless run keeps whole (a day of virtual seconds).
CSV_SAMPLES = 86_400


class Command(BaseCommand):
    help = "Run a scenario headless and print its summary (or its events as JSON lines)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", nargs="?", help="a scenario file or a library name")
        parser.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
        parser.add_argument("--until", type=float, help="stop at this virtual time")
        parser.add_argument("--jsonl", action="store_true", help="stream events as JSON lines")
        parser.add_argument("--list", action="store_true", help="list the library")
        parser.add_argument("--walkthrough", help="play this walkthrough (a file or a name)")
        parser.add_argument("--metrics", metavar="CSV",
                            help="write the metrics series to this CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for name in library_names():
                self.stdout.write(name)
            return
        if options["walkthrough"]:
            self._walkthrough(options["walkthrough"], options["seed"], options["jsonl"])
            return
        if not options["scenario"]:
            raise CommandError("give a scenario file or library name (see --list)",
                               returncode=2)
        if options["until"] is not None and not options["until"] >= 0:
            raise CommandError(f"--until {options['until']}: give a time >= 0", returncode=2)
        try:
            spec = load(options["scenario"])
        except ScenarioError as error:
            raise CommandError(str(error), returncode=2) from None
        listeners = [self._print_event] if options["jsonl"] else []
        try:
            run = Run(spec, options["seed"], listeners)
            if options["metrics"]:
                run.sim.record_metrics(recent=CSV_SAMPLES)
            result = run.play(options["until"])
        except BrokenPipeError:
            return  # the reader (e.g. `head`) stopped reading: nothing more to say
        except EngineError as error:
            raise CommandError(f"the broker refused the scenario: [{error.code}] {error}",
                               returncode=2) from None
        if options["metrics"]:
            write_metrics(run, options["metrics"])
        if options["jsonl"]:
            self.stdout.write(json.dumps({"summary": result.summary, "expectations": [
                o.as_dict() for o in result.outcomes]}, sort_keys=True))
        else:
            self._print_summary(result)
        if not result.ok:
            failed = sum(1 for o in result.outcomes if not o.met)
            raise CommandError(f"{failed} expectation(s) not met", returncode=1)

    def _walkthrough(self, name: str, seed: int | None, jsonl: bool) -> None:
        try:
            walkthrough, scenario = load_walkthrough(name)
        except ScenarioError as error:
            raise CommandError(str(error), returncode=2) from None
        listeners = [self._print_event] if jsonl else []
        results = Walkthrough(walkthrough, scenario, seed, listeners).play_all()
        if jsonl:
            self.stdout.write(json.dumps({"steps": [
                {"index": r.index, "title": r.step["title"], "started_at": r.started_at,
                 "ended_at": r.ended_at, "checkpoints": [o.as_dict() for o in r.checkpoints]}
                for r in results]}, sort_keys=True))
        else:
            self.stdout.write(walkthrough["title"])
            for result in results:
                self._print_step(result, len(results))
        failed = sum(1 for r in results for o in r.checkpoints if not o.met)
        if failed:
            raise CommandError(f"{failed} checkpoint(s) not met", returncode=1)

    def _print_step(self, result: StepResult, total: int) -> None:
        step = result.step
        lines = [f"\nstep {result.index + 1}/{total}: {step['title']}  (t={result.started_at:g}"
                 f" to {result.ended_at:g}, {len(result.events)} events)",
                 f"  {step['narration']}"]
        predict = step.get("predict")
        if predict:
            lines.append(f"  predict: {predict['question']}")
            lines += [f"    {'*' if i == predict['answer'] else '-'} {choice}"
                      for i, choice in enumerate(predict["choices"])]
        if step.get("reveal"):
            lines.append(f"  reveal: {step['reveal']}")
        lines += [f"  [{'ok' if o.met else 'FAIL'}] {o.describe()}" for o in result.checkpoints]
        self.stdout.write("\n".join(lines))

    def _print_event(self, event: Event) -> None:
        self.stdout.write(json.dumps(event.to_dict(), sort_keys=True, default=str))

    def _print_summary(self, result: Result) -> None:
        s = result.summary
        depth, lag = s["max_depth"], s["max_lag"]
        lines = [
            f"{s['title']}  (seed {s['seed']}, ran to t={s['until']:g}, {s['events']} events)",
            f"  published       {s['published']:g}" + (
                f"  (rejected {s['rejected']:g})" if s["rejected"] else ""),
            f"  delivered       {s['delivered']:g}",
            f"  side effects    {s['side_effects']:g}",
            f"  duplicated      {s['duplicates']:g}",
            f"  lost            {s['lost']:g}",
            f"  dead-lettered   {s['dead_lettered']:g}",
            f"  max depth       {depth['depth']:g}" + (
                f"  ({depth['queue']})" if depth["queue"] else ""),
            f"  max lag         {lag['lag']:g}" + (f"  ({lag['group']})" if lag["group"] else ""),
        ]
        for name, c in s["consumers"].items():
            lines.append(f"  consumer {name} ({c['guarantee']}): received {c['received']},"
                         f" {c['side_effect']} {c['side_effects']}, duplicated"
                         f" {c['duplicates']}, lost {c['lost']}, failures {c['failures']}")
        if s["alerts"]:
            lines.append(f"  alerts          {s['alerts']}")
        if result.outcomes or result.unchecked:
            lines.append("expectations:")
        lines += [f"  [{'ok' if o.met else 'FAIL'}] {o.describe()}" for o in result.outcomes]
        lines += [f"  [skip] {e['metric']} at t={e['at']:g}: the run stopped before"
                  for e in result.unchecked]
        self.stdout.write("\n".join(lines))


def write_metrics(run: Run, path: str) -> None:
    recorder = run.sim.metrics
    assert recorder is not None
    try:
        with open(path, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["t", "node", *SERIES])
            for at, node, values in recorder.rows():
                writer.writerow([f"{at:g}", node, *("" if v is None else f"{v:g}"
                                                    for v in values)])
    except OSError as error:
        raise CommandError(f"--metrics {path}: cannot write it ({error.strerror})",
                           returncode=2) from None
