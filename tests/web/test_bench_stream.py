"""The streaming benchmark command runs end to end (a real daphne, real sockets) and finds
nothing dropped. Its timings are printed, never asserted: speed targets live in the
benchmark, not in tests."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def test_bench_stream_delivers_every_event_to_every_client():
    out = StringIO()
    call_command("bench_stream", clients=3, rate=200, seconds=1, stdout=out)
    report = out.getvalue()
    assert "dropped: 0 events missing, 0 sequence gaps, 0 left out of the animation" in report
    assert report.startswith("bench_stream: 3 clients, 200 events/s asked")
    assert "overall:" in report
