"""Run the benchmark sections and print their figures."""

from __future__ import annotations

import importlib
import sys

from . import SECTIONS


def report(name: str, value: float, unit: str, *, note: str = "") -> None:
    print(f"  {name:<58} {value:>14,.0f} {unit}{'  ' + note if note else ''}")


def ratio(name: str, value: float, *, target: str = "") -> None:
    print(f"  {name:<58} {value:>14.1f} x{'  (target ' + target + ')' if target else ''}")


def main(argv: list[str]) -> None:
    wanted = argv or list(SECTIONS)
    for section in wanted:
        try:
            module = importlib.import_module(f"engine.bench.{section}")
        except ModuleNotFoundError:
            print(f"{section}: no benchmark yet")
            continue
        print(f"{section}:")
        module.run(report, ratio)


if __name__ == "__main__":
    main(sys.argv[1:])
