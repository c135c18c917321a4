"""``bench_stream --webs N``: the same room watched through 1 web process, then through N.

A cluster on this machine (``_cluster.Cluster``: a private Redis unless ``--redis`` names
one, N daphne web processes, one room worker). The room is made through the first web
process; its controller's socket stays there. After a one-second warm-up, the clients
watch it all through the first web process, and again spread evenly over all N, while the
producer runs: each run prints viewers per room and per web process, events/s delivered,
latency p50/p95 and the CPU the web processes and the worker used, then the ratio of N
against 1.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from mqlab.management.commands._cluster import Cluster
from mqlab.management.commands.bench_stream import (
    _cpu_seconds,
    measure,
    percentile,
    prepare,
)


def spread(out: Any, options: dict[str, Any], per_message: float) -> None:
    webs = max(2, options["webs"])
    with tempfile.TemporaryDirectory() as folder, \
            Cluster(Path(folder), webs=webs, workers=1,
                    redis_url=options["redis"] or None) as cluster:
        runs = asyncio.run(_runs(cluster, options, per_message))
    out(f"bench_stream --webs {webs}: one room, {options['clients']} clients, "
        f"{options['rate']:g} events/s asked, {options['seconds']:g} s per run; a cluster of "
        f"{webs} web processes and 1 room worker on this machine")
    out("web processes | viewers/room | viewers/web process | delivered events/s | p50 ms"
        " | p95 ms | web CPU (all) | worker CPU | missing")
    for run in runs:
        out(f"{run['webs']:13d} | {run['viewers']:12d} | {run['per_web']:19d} | "
            f"{run['delivered']:18.0f} | {run['p50']:6.1f} | {run['p95']:6.1f} | "
            f"{run['web_cpu']:13.0%} | {run['worker_cpu']:10.0%} | {run['missing']}")
    one, many = runs[0], runs[-1]
    out(f"ratio {webs} against 1 web process: delivered "
        f"x{many['delivered'] / one['delivered']:.2f}, p95 x{many['p95'] / one['p95']:.2f}, "
        f"CPU per web process x{many['web_cpu'] / webs / max(one['web_cpu'], 1e-9):.2f}")
    if any(run["missing"] or run["gaps"] for run in runs):
        raise CommandError("events were dropped")


async def _runs(cluster: Cluster, options: dict[str, Any],
                per_message: float) -> list[dict[str, Any]]:
    ports = [web.port for web in cluster.webs]
    web_pids = [web.process.pid for web in cluster.webs]  # type: ignore[union-attr]
    worker_pid = cluster.workers[0].process.pid  # type: ignore[union-attr]
    room_id, boss, boss_stats = await prepare(ports[0], options)
    runs = []
    try:
        # Warm every process up first (imports, connections), so neither run pays for it.
        await measure(ports, room_id, boss, boss_stats, {**options, "seconds": 1.0},
                      per_message)
        for count in (1, len(ports)):
            before = [_cpu_seconds(pid) for pid in (*web_pids, worker_pid)]
            report = await measure(ports[:count], room_id, boss, boss_stats, options,
                                   per_message)
            spent = [_cpu_seconds(pid) - was
                     for pid, was in zip((*web_pids, worker_pid), before, strict=True)]
            runs.append(_summary(count, report, spent))
    finally:
        await boss.close()
    return runs


def _summary(count: int, report: dict[str, Any], spent: list[float]) -> dict[str, Any]:
    seconds = report["seconds"]
    clients = report["clients"]
    latencies = [value for stats in clients for value in stats.latencies]
    return {"webs": count, "viewers": len(clients), "per_web": -(-len(clients) // count),
            "delivered": sum(stats.events for stats in clients) / seconds,
            "p50": percentile(latencies, .5) * 1000, "p95": percentile(latencies, .95) * 1000,
            "web_cpu": sum(spent[:-1]) / seconds, "worker_cpu": spent[-1] / seconds,
            "missing": sum(report["fed"] - stats.events for stats in clients),
            "gaps": sum(stats.gaps for stats in clients)}
