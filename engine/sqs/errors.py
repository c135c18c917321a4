"""SQS's own errors, one class per error code, shaped like boto3's ``client.exceptions``.

Each class carries the code SQS answers with (the ``Error.Code`` a boto3 ``ClientError``
shows), so ``except sim.sqs.exceptions.QueueDoesNotExist`` works as it does with boto3.
Error codes: Amazon SQS API Reference, "Common Errors" and each action's "Errors" section
(CreateQueue, SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility, the batch
actions, PurgeQueue, StartMessageMoveTask).
"""

from __future__ import annotations

from ..errors import EngineError


class SQSError(EngineError):
    """Any error SQS answers with; ``code`` is SQS's error code."""

    code = "InvalidParameterValue"


class InvalidParameterValue(SQSError):
    code = "InvalidParameterValue"


class MissingParameter(SQSError):
    code = "MissingParameter"


class QueueDoesNotExist(SQSError):
    code = "QueueDoesNotExist"


class QueueNameExists(SQSError):
    """boto3 names this exception ``QueueNameExists``; older docs call it QueueAlreadyExists."""

    code = "QueueNameExists"


class QueueDeletedRecently(SQSError):
    code = "QueueDeletedRecently"


class InvalidAttributeName(SQSError):
    code = "InvalidAttributeName"


class InvalidAttributeValue(SQSError):
    code = "InvalidAttributeValue"


class InvalidMessageContents(SQSError):
    code = "InvalidMessageContents"


class ReceiptHandleIsInvalid(SQSError):
    code = "ReceiptHandleIsInvalid"


class MessageNotInflight(SQSError):
    code = "MessageNotInflight"


class OverLimit(SQSError):
    code = "OverLimit"


class PurgeQueueInProgress(SQSError):
    code = "PurgeQueueInProgress"


class EmptyBatchRequest(SQSError):
    code = "EmptyBatchRequest"


class TooManyEntriesInBatchRequest(SQSError):
    code = "TooManyEntriesInBatchRequest"


class BatchEntryIdsNotDistinct(SQSError):
    code = "BatchEntryIdsNotDistinct"


class InvalidBatchEntryId(SQSError):
    code = "InvalidBatchEntryId"


class BatchRequestTooLong(SQSError):
    code = "BatchRequestTooLong"


class ResourceNotFoundException(SQSError):
    """StartMessageMoveTask / CancelMessageMoveTask: unknown queue ARN or task handle."""

    code = "ResourceNotFoundException"


class UnsupportedOperation(SQSError):
    code = "UnsupportedOperation"
