"""SNS's own errors, shaped like boto3's ``sns.exceptions``: one class per error code.

Codes: Amazon SNS API Reference, "Common Errors" and the "Errors" section of CreateTopic,
Subscribe, Publish, Unsubscribe, DeleteTopic, SetSubscriptionAttributes and
ListSubscriptionsByTopic. boto3 names the class ``<Code>Exception`` where SNS's code is the
short ``NotFound``/``InvalidParameter``.
"""

from __future__ import annotations

from ..errors import EngineError


class SNSError(EngineError):
    code = "InvalidParameter"


class InvalidParameterException(SNSError):
    code = "InvalidParameter"


class InvalidParameterValueException(SNSError):
    """Publish: a message attribute value or size that SNS refuses."""

    code = "ParameterValueInvalid"


class NotFoundException(SNSError):
    code = "NotFound"


class TopicLimitExceededException(SNSError):
    code = "TopicLimitExceeded"


class SubscriptionLimitExceededException(SNSError):
    code = "SubscriptionLimitExceeded"


class ThrottledException(SNSError):
    """SNS's code for a request it cannot take now; here the room's budget of held messages."""

    code = "Throttled"
