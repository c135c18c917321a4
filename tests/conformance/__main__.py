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
    parser.add_argument("brokers", nargs="*", default=list(BROKERS), choices=BROKERS)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mqlab.settings")
    django.setup()
    failed = False
    for broker in args.brokers:
        report = importlib.import_module(f"tests.conformance.{broker}").report()
        print("\n".join(report.lines()), flush=True)
        failed |= bool(report.disagreements)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
