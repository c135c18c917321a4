"""``python manage.py challenge --list | NAME [--reference | --fix FILE] [--json]``.

``--list`` names every challenge with its broker, topic, par and seeds. ``NAME`` alone checks
the broken setup (it should fail); ``--reference`` the challenge's reference solution;
``--fix FILE`` a JSON object of knob values (``{"visibility": 30}``; ``-`` reads standard
input). Each check is printed per seed; the exit status is 0 only when the goal is met on
every seed, 1 when it is not, 2 when the challenge or the fix is invalid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engine.errors import EngineError
from mqlab.scenarios import ScenarioError
from mqlab.scenarios import challenge as challenges


class Command(BaseCommand):
    help = "List the challenges, or check a fix (or the reference solution) on every seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="a challenge name (see --list)")
        parser.add_argument("--list", action="store_true", help="list the challenges")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--reference", action="store_true",
                           help="check the reference solution")
        group.add_argument("--fix", metavar="FILE",
                           help="a JSON object of knob values to check ('-' for stdin)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            self._list()
            return
        if not options["name"]:
            raise CommandError("give a challenge name (see --list)", returncode=2)
        try:
            challenge = challenges.load(options["name"])
        except ScenarioError as error:
            raise CommandError(str(error), returncode=2) from None
        values = self._values(challenge, options)
        try:
            report = challenges.check(challenge, values)
        except (ScenarioError, ValueError) as error:
            raise CommandError(f"the fix is not valid: {error}", returncode=2) from None
        except EngineError as error:
            raise CommandError(f"the broker refused the fix: [{error.code}] {error}",
                               returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), sort_keys=True))
        else:
            self._print(challenge, report)
        if not report.ok:
            failing = sum(1 for seed in report.seeds if not seed.ok)
            raise CommandError(f"goal not met on {failing} of {len(report.seeds)} seed(s)",
                               returncode=1)

    def _list(self) -> None:
        for entry in challenges.catalog():
            seeds = ",".join(str(seed) for seed in entry["seeds"])
            self.stdout.write(f"{entry['name']:40} {entry['broker']:9} par {entry['par']}"
                              f"  seeds {seeds}  {entry['topic']}: {entry['title']}")

    def _values(self, challenge: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        if options["reference"]:
            return dict(challenge["reference"])
        if not options["fix"]:
            return {}
        try:
            text = sys.stdin.read() if options["fix"] == "-" else \
                Path(options["fix"]).read_text()
            values = json.loads(text)
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"--fix {options['fix']}: {error}", returncode=2) from None
        if not isinstance(values, dict):
            raise CommandError("--fix: give a JSON object of knob values, e.g."
                               ' {"visibility": 30}', returncode=2)
        return values

    def _print(self, challenge: dict[str, Any], report: challenges.Report) -> None:
        what = ", ".join(f"{key}={json.dumps(report.values[key])}" for key in report.changed)
        lines = [f"{challenge['title']}  ({challenge['name']}, {challenge['broker']})",
                 f"  changes: {len(report.changed)} (par {report.par})"
                 + (f": {what}" if what else ": none, the broken setup")]
        for seed in report.seeds:
            lines.append(f"seed {seed.seed}: {'goal met' if seed.ok else 'goal NOT met'}")
            if seed.error:
                lines.append(f"  [FAIL] {seed.error}")
            lines += [f"  [{'ok' if o.met else 'FAIL'}] {o.describe()}" for o in seed.outcomes]
        met = sum(1 for seed in report.seeds if seed.ok)
        lines.append(f"goal met on {met} of {len(report.seeds)} seeds")
        self.stdout.write("\n".join(lines))
