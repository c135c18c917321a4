"""The two sides a case runs on: moto's server through boto3, and ``sim.sqs``.

A case gets a ``Side``: ``side.sqs`` is the client (boto3's, or the model's behind a thin
adapter), ``side.wait(seconds)`` lets time pass (a real sleep, or ``sim.advance``), and
``side.attempt(call, **params)`` answers the response or ``{"Error": code}``. ``normalise``
makes the two sides' observations comparable: ids become ``m1``/``r1``..., URLs and ARNs lose
their host and account, timestamps become ``<ts>``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from engine import Simulation
from engine.sqs import SNSError, SQSError

_URL = re.compile(r"https?://[^/]+/\d{12}/")
_ARN = re.compile(r"arn:aws:sqs:[a-z0-9-]+:\d{12}:")
#: SNS topic ARNs lose region and account; a subscription's ARN (the topic's plus an id) its id
_SNS_ARN = re.compile(r"arn:aws:sns:[a-z0-9-]+:\d{12}:([A-Za-z0-9_.-]+)(:[0-9a-f-]{36})?")
_PLACEHOLDERS = {"MessageId": "m", "ReceiptHandle": "r", "TaskHandle": "t"}
_TIMESTAMPS = {"SentTimestamp", "ApproximateFirstReceiveTimestamp", "CreatedTimestamp",
               "LastModifiedTimestamp", "StartedTimestamp"}
#: Values that differ in form only (moto's and the model's are both opaque strings).
_OPAQUE = {"SequenceNumber": "<seq>", "SenderId": "<sender>", "RequestId": "<request>"}


def error_code(error: Exception) -> str:
    if isinstance(error, SQSError | SNSError):
        return error.code
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = info.get("QueryErrorCode") or info.get("Code", "")
        return code.removeprefix("AWS.SimpleQueueService.")
    raise error


class Side:
    name = ""
    sqs: Any
    sns: Any

    def wait(self, seconds: float) -> None:
        raise NotImplementedError

    def attempt(self, call: Callable[..., Any], **params: Any) -> Any:
        try:
            return call(**params)
        except (SQSError, SNSError, ClientError) as error:
            return {"Error": error_code(error)}


class MotoSide(Side):
    name = "moto"

    def __init__(self, endpoint: str) -> None:
        # parameter_validation off: requests boto3 would refuse (a missing parameter) reach
        # the server, so the case sees the service's answer as the model gives it.
        self.sqs, self.sns = (boto3.client(
            service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(parameter_validation=False, retries={"max_attempts": 1}))
            for service in ("sqs", "sns"))

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


class ModelSide(Side):
    name = "model"

    def __init__(self) -> None:
        self.sim = Simulation(seed=1)
        self.sqs = BlockingReceives(self.sim)
        self.sns = self.sim.sns

    def wait(self, seconds: float) -> None:
        self.sim.advance(seconds)


class BlockingReceives:
    """``sim.sqs`` whose long polls block in virtual time, as boto3's do in real time.

    The model's synchronous receive_message never waits; a blocking client is its
    receive_message_async plus advancing the clock until the answer comes.
    """

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sim.sqs, name)

    def receive_message(self, **params: Any) -> Any:
        now = self._sim.sqs.receive_message(**params)
        if now.get("Messages") or self._wait(params) == 0:
            return now
        answers: list[Any] = []
        self._sim.sqs.receive_message_async(answers.append, **params)
        while not answers:
            self._sim.advance(0.05)
        return answers[0]

    def _wait(self, params: dict[str, Any]) -> int:
        if params.get("WaitTimeSeconds") is not None:
            return int(params["WaitTimeSeconds"])
        attributes = self._sim.sqs.get_queue_attributes(
            QueueUrl=params["QueueUrl"], AttributeNames=["ReceiveMessageWaitTimeSeconds"])
        return int(attributes["Attributes"]["ReceiveMessageWaitTimeSeconds"])


def normalise(value: Any, names: dict[str, str] | None = None, key: str = "") -> Any:
    """The observation with its incidental parts (ids, hosts, clocks) replaced."""
    names = {} if names is None else names
    if isinstance(value, dict):
        return {k: normalise(v, names, k) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [normalise(v, names, key) for v in value]
    if not isinstance(value, str):
        return value
    if key in _PLACEHOLDERS:
        return names.setdefault(value, f"{_PLACEHOLDERS[key]}{_count(names, key)}")
    if key in _TIMESTAMPS:
        return "<ts>"
    if key in _OPAQUE:
        return _OPAQUE[key]
    value = _SNS_ARN.sub(lambda m: f"sns:{m.group(1)}" + (":sub" if m.group(2) else ""), value)
    return _ARN.sub("arn:", _URL.sub("url:", value))


def _count(names: dict[str, str], key: str) -> int:
    prefix = _PLACEHOLDERS[key]
    return 1 + sum(1 for v in names.values() if v.startswith(prefix) and v[1:].isdigit())
