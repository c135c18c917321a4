"""``manage.py simulate --metrics out.csv``: the charts' series, headless, as CSV."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from engine.metrics import SERIES
from engine.scenario import Run
from mqlab.scenarios import load


def simulate_csv(tmp_path, *args):
    path = tmp_path / "out.csv"
    call_command("simulate", *args, "--metrics", str(path), stdout=io.StringIO())
    with open(path, newline="") as source:
        return list(csv.DictReader(source))


def test_csv_has_one_row_per_instant_and_node_and_the_dlq_fills(tmp_path):
    rows = simulate_csv(tmp_path, "poison-message-retries")
    assert list(rows[0]) == ["t", "node", *SERIES]
    instants = sorted({float(row["t"]) for row in rows})
    assert instants == [float(t) for t in range(1, 61)]  # the scenario runs to t=60
    dlq = [row for row in rows if row["node"] == "rabbitmq:queue:payments.dlq"]
    assert len(dlq) == 60
    assert dlq[0]["depth"] == "0" and dlq[-1]["depth"] == "1"  # the summary's dead-letter
    assert all(row["lag"] == "" for row in rows)  # no Kafka here: no lag column values
    assert all(float(v) >= 0 for row in rows for k, v in row.items()
               if k not in ("t", "node") and v != "")


def test_csv_is_the_series_a_recorder_gives_for_the_same_run(tmp_path):
    rows = simulate_csv(tmp_path, "kafka-consumer-group-rebalancing", "--seed", "5")
    run = Run(load("kafka-consumer-group-rebalancing"), 5, [])
    recorder = run.sim.record_metrics()
    run.play(None)
    exported = recorder.export(max_points=1000)
    lag = exported["nodes"]["kafka:group:analytics"]["lag"]
    from_csv = [float(row["lag"]) for row in rows if row["node"] == "kafka:group:analytics"]
    assert from_csv == lag and max(lag) > 0
    assert rows == simulate_csv(tmp_path, "kafka-consumer-group-rebalancing", "--seed", "5")


def test_an_unwritable_csv_path_is_refused_with_status_2(tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("simulate", "topic-routing", "--metrics", str(tmp_path / "no" / "x.csv"),
                     stdout=io.StringIO())
    assert error.value.returncode == 2 and "--metrics" in str(error.value)
