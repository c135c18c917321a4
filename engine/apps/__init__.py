"""Simulated applications around the brokers: producers and consumers with real behaviours.

The brokers alone do not show "at-least-once", "poison message" or "backpressure": those live
in the applications. A ``Producer`` sends on an arrival pattern (``rates``) with keys
(``keys``), bodies (``bodies``), batches and backpressure (``backpressure``). A ``Consumer``
works for a processing time (``durations``), fails by a rule (``failures``), settles as its
delivery guarantee says, retries with backoff (``backoff``) the way its broker allows, may be
rate limited (``token_bucket``), and records what the world saw in a side-effect ledger
(``ledger``) guarded by an idempotency store (``idempotency``). ``DlqAlert`` (``alerts``)
watches a dead-letter queue. One adapter per broker (``adapters``) maps all of it onto
RabbitMQ's, Kafka's and SQS's own client calls. Apps emit their own event kinds (``kinds``).
Everything is deterministic: time is ``sim.call_later``, chance is ``sim.random``.
"""

from .alerts import DlqAlert
from .backoff import Backoff
from .backpressure import Backpressure
from .consumer import Consumer, FailurePolicy
from .failures import FailureRule
from .idempotency import ProcessedIds
from .ledger import Ledger
from .producer import Producer
from .token_bucket import TokenBucket

__all__ = ["Backoff", "Backpressure", "Consumer", "DlqAlert", "FailurePolicy", "FailureRule",
           "Ledger", "ProcessedIds", "Producer", "TokenBucket"]
