"""``python -m tests.conformance --report``: run every broker's cases, print N/M per broker."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import django

BROKERS = ("rabbitmq", "sqs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance")
    parser.add_argument("--report", action="store_true", help="run the cases, print the table")
    # checked by hand: argparse tests a nargs="*" default against choices as one value
    parser.add_argument("brokers", nargs="*", help=f"any of {', '.join(BROKERS)} (all)")
    args = parser.parse_args(argv)
    unknown = set(args.brokers) - set(BROKERS)
    if unknown:
        parser.error(f"unknown broker {', '.join(sorted(unknown))}; choose from "
                     f"{', '.join(BROKERS)}")
    args.brokers = args.brokers or list(BROKERS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mqlab.settings")
    django.setup()
    failed = False
    for broker in args.brokers:
        try:
            package = importlib.import_module(f"tests.conformance.{broker}")
        except ModuleNotFoundError as error:
            if error.name != f"tests.conformance.{broker}":
                raise
            # each broker's package lands on its own: one not written yet is no failure
            print(f"{broker}: skipped (tests.conformance.{broker} is not there yet)", flush=True)
            continue
        report = package.report()
        print("\n".join(report.lines()), flush=True)
        failed |= bool(report.disagreements)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
