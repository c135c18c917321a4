"""The seek benchmark runs end to end on a short room and prints its figures beside the
baseline; the figures themselves are never asserted (speed targets live in the benchmark)."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def test_bench_seek_prints_seek_and_baseline_figures_per_room_length():
    out = StringIO()
    call_command("bench_seek", minutes="0.25", seeks=3, baseline=1, rate=5, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("bench_seek: 3 seeks per room")
    assert lines[1].startswith("0.25 busy virtual min (") and "checkpoints" in lines[1]
    assert lines[2].strip().startswith("seek:") and "p95" in lines[2]
    assert lines[3].strip().startswith("baseline, replay from zero:")
