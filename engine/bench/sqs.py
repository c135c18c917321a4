"""SQS benchmark: send → receive → delete round trips per second, one message at a time, on a
standard queue and on a FIFO queue (explicit deduplication ids, 4 message groups), without and
with an event listener, against a bare ``collections.deque`` append/popleft loop of the same
count measured in the same run, and the ratio."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from engine import Simulation

from . import best_rate

ROUND_TRIPS = 30_000


def _round_trips(fifo: bool, listen: bool) -> Callable[[int], None]:
    def work(count: int) -> None:
        sim = Simulation(seed=1)
        if listen:
            sink: list[object] = []
            sim.subscribe(sink.append)
        sqs = sim.sqs
        if fifo:
            url = sqs.create_queue(QueueName="bench.fifo",
                                   Attributes={"FifoQueue": "true"})["QueueUrl"]
        else:
            url = sqs.create_queue(QueueName="bench")["QueueUrl"]
        send, receive, delete = sqs.send_message, sqs.receive_message, sqs.delete_message
        for i in range(count):
            if fifo:
                send(QueueUrl=url, MessageBody="payload", MessageGroupId=f"g{i % 4}",
                     MessageDeduplicationId=str(i))
            else:
                send(QueueUrl=url, MessageBody="payload")
            message = receive(QueueUrl=url)["Messages"][0]
            delete(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return work


def _deque_loop(count: int) -> None:
    queue: deque[str] = deque()
    append, popleft = queue.append, queue.popleft
    for _ in range(count):
        append("payload")
        popleft()


def run(report: Callable[..., None], ratio: Callable[..., None]) -> None:
    baseline = best_rate(ROUND_TRIPS, _deque_loop)
    report("bare deque append/popleft loop", baseline, "ops/s")
    for fifo in (False, True):
        kind = "FIFO" if fifo else "standard"
        for listen in (False, True):
            rate = best_rate(ROUND_TRIPS, _round_trips(fifo, listen))
            with_listener = "with" if listen else "without"
            report(f"{kind} send→receive→delete, {with_listener} listener", rate,
                   "round trips/s")
            ratio(f"  bare deque / {kind} ({with_listener} listener)", baseline / rate)
