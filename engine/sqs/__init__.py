"""The Amazon SQS model: ``sim.sqs``, spoken in boto3's words.

``from engine.sqs import SQS`` (or just use ``sim.sqs``). Modules, one concept each:
``model`` (the boto3-shaped facade), ``attributes`` (queue attributes and limits),
``messages`` (a message, its checks and MD5s), ``queue`` (states, visibility timeouts,
retention; standard queues), ``fifo`` (groups, deduplication), ``redrive`` (dead-letter queues
and move tasks), ``sns`` (SNS topics fanning out to the queues: ``sim.sns``), ``filter_policy``
(SNS subscription filter policies), ``sns_errors``, ``polling`` (long polls in virtual time),
``realism`` (the opt-in at-least-once effects), ``kinds`` (event kinds), ``errors`` (SQS error
codes).
"""

from . import errors
from .errors import SQSError
from .kinds import TERMINAL, TOPOLOGY_KINDS
from .model import SQS
from .sns import SNS
from .sns_errors import SNSError

__all__ = ["SNS", "SQS", "TERMINAL", "TOPOLOGY_KINDS", "SNSError", "SQSError", "errors"]
