"""Queue attributes: names, defaults, allowed ranges, and the checks CreateQueue and
SetQueueAttributes make. Values are strings, as in the real API (``"VisibilityTimeout": "30"``).

Numbers: Amazon SQS API Reference, CreateQueue "Attributes" (as of 2025):
- DelaySeconds 0 to 900 (15 minutes), default 0.
- MaximumMessageSize 1,024 bytes (1 KiB) to 1,048,576 bytes (1 MiB), default 1,048,576
  (AWS raised the maximum from 256 KiB to 1 MiB in August 2025).
- MessageRetentionPeriod 60 seconds to 1,209,600 seconds (14 days), default 345,600 (4 days).
- ReceiveMessageWaitTimeSeconds 0 to 20, default 0.
- VisibilityTimeout 0 to 43,200 (12 hours), default 30.
- KmsDataKeyReusePeriodSeconds 60 to 86,400, default 300 (encryption itself is not modelled).
- FIFO only: FifoQueue, ContentBasedDeduplication, DeduplicationScope (messageGroup | queue),
  FifoThroughputLimit (perQueue | perMessageGroupId). The high-throughput pair is accepted and
  shown; throughput limits are not modelled (a simulation has no request rate to limit).
Queue names: SQS Developer Guide, "Amazon SQS standard queue quotas" / "FIFO queue quotas":
up to 80 characters, alphanumerics, hyphens and underscores; a FIFO name ends in ``.fifo``,
which counts towards the 80.
"""

from __future__ import annotations

import re

from .errors import InvalidAttributeName, InvalidAttributeValue, InvalidParameterValue

MAX_VISIBILITY_TIMEOUT = 43_200
MAX_DELAY = 900
MAX_WAIT = 20
MAX_MESSAGE_SIZE = 1_048_576
DEFAULT_RETENTION = 345_600

#: (minimum, maximum, default) of each integer attribute.
INTEGER_ATTRIBUTES = {
    "DelaySeconds": (0, MAX_DELAY, 0),
    "MaximumMessageSize": (1_024, MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE),
    "MessageRetentionPeriod": (60, 1_209_600, DEFAULT_RETENTION),
    "ReceiveMessageWaitTimeSeconds": (0, MAX_WAIT, 0),
    "VisibilityTimeout": (0, MAX_VISIBILITY_TIMEOUT, 30),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400, 300),
}
BOOLEAN_ATTRIBUTES = {"SqsManagedSseEnabled", "ContentBasedDeduplication", "FifoQueue"}
CHOICE_ATTRIBUTES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
FREE_TEXT_ATTRIBUTES = {"Policy", "KmsMasterKeyId", "RedrivePolicy", "RedriveAllowPolicy"}
FIFO_ONLY = {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
SETTABLE = (set(INTEGER_ATTRIBUTES) | BOOLEAN_ATTRIBUTES | set(CHOICE_ATTRIBUTES)
            | FREE_TEXT_ATTRIBUTES)
READ_ONLY = {
    "QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
}
READABLE = SETTABLE | READ_ONLY | {"All"}

_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


def defaults(fifo: bool) -> dict[str, str]:
    """What GetQueueAttributes shows for a queue created without attributes."""
    values = {name: str(default) for name, (_, _, default) in INTEGER_ATTRIBUTES.items()
              if name != "KmsDataKeyReusePeriodSeconds"}
    # New queues get SSE-SQS encryption by default (SQS Developer Guide, "Encryption at rest").
    values["SqsManagedSseEnabled"] = "true"
    if fifo:
        values.update(FifoQueue="true", ContentBasedDeduplication="false",
                      DeduplicationScope="queue", FifoThroughputLimit="perQueue")
    return values


def check_queue_name(name: object, fifo: bool) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidParameterValue("QueueName is required: give a name of 1 to 80 characters")
    base = name[:-5] if name.endswith(".fifo") else name
    if name.endswith(".fifo") and not fifo:
        raise InvalidParameterValue(
            f"Queue name {name!r} ends with .fifo but FifoQueue is not 'true': a FIFO queue "
            "needs Attributes={'FifoQueue': 'true'}; a standard queue name cannot end in .fifo")
    if fifo and not name.endswith(".fifo"):
        raise InvalidParameterValue(
            f"FIFO queue name {name!r} must end with the .fifo suffix")
    if len(name) > 80 or not _QUEUE_NAME.fullmatch(base):
        raise InvalidParameterValue(
            f"Queue name {name!r} is invalid: use 1 to 80 characters (the .fifo suffix counts), "
            "only letters, digits, hyphens (-) and underscores (_)")
    return name


def check_names(names: object, allowed: set[str], action: str) -> list[str]:
    """The attribute names a Get... call asks for; unknown names are refused."""
    if names is None:
        return []
    if isinstance(names, str) or not isinstance(names, list | tuple):
        raise InvalidParameterValue(f"{action}: AttributeNames must be a list of names")
    for name in names:
        if name not in allowed:
            raise InvalidAttributeName(
                f"Unknown attribute {name!r}; allowed: {', '.join(sorted(allowed))}")
    return list(names)


def check_attributes(attributes: object, fifo: bool, creating: bool) -> dict[str, str]:
    """Validate CreateQueue/SetQueueAttributes values; returns them unchanged when valid.

    RedrivePolicy and RedriveAllowPolicy are JSON and need the other queues, so
    ``engine.sqs.redrive`` checks them; here they only have to be strings.
    """
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise InvalidParameterValue("Attributes must be a dict of attribute name to string value")
    for name, value in attributes.items():
        _check_one(name, value, fifo, creating)
    return dict(attributes)


def _check_one(name: object, value: object, fifo: bool, creating: bool) -> None:
    if name not in SETTABLE:
        what = "is read-only" if name in READ_ONLY else "is not a queue attribute"
        raise InvalidAttributeName(
            f"Attribute {name!r} {what}; settable: {', '.join(sorted(SETTABLE))}")
    if name in FIFO_ONLY and not fifo and not (name == "FifoQueue" and value == "false"):
        raise InvalidAttributeName(f"Attribute {name!r} applies only to FIFO queues")
    if name == "FifoQueue" and not creating:
        raise InvalidAttributeName("FifoQueue can only be set when the queue is created: "
                                   "a queue's type cannot change")
    if not isinstance(value, str):
        raise InvalidAttributeValue(
            f"Attribute {name} must be a string, as in the SQS API (got {value!r}): "
            f"write {str(value)!r}")
    if name in INTEGER_ATTRIBUTES:
        low, high, _ = INTEGER_ATTRIBUTES[name]
        if not (value.isdigit() and low <= int(value) <= high):
            raise InvalidAttributeValue(
                f"Invalid value {value!r} for {name}: allowed an integer from {low} to {high}")
    elif name in BOOLEAN_ATTRIBUTES:
        if value not in ("true", "false"):
            raise InvalidAttributeValue(f"Invalid value {value!r} for {name}: "
                                        "allowed 'true' or 'false'")
    elif name in CHOICE_ATTRIBUTES and value not in CHOICE_ATTRIBUTES[name]:
        raise InvalidAttributeValue(f"Invalid value {value!r} for {name}: allowed "
                                    + " or ".join(repr(c) for c in CHOICE_ATTRIBUTES[name]))
