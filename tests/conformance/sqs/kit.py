"""Small steps the cases share, each over a ``Side``."""

from __future__ import annotations

from typing import Any

from .sides import Side


def make(side: Side, name: str, **attributes: str) -> str:
    return side.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def make_fifo(side: Side, name: str = "jobs.fifo", **attributes: str) -> str:
    return make(side, name, FifoQueue="true", **attributes)


def send(side: Side, url: str, body: str, **params: Any) -> dict[str, Any]:
    return side.sqs.send_message(QueueUrl=url, MessageBody=body, **params)


def receive(side: Side, url: str, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("MaxNumberOfMessages", 10)
    return side.sqs.receive_message(QueueUrl=url, **params).get("Messages", [])


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


def counts(side: Side, url: str) -> dict[str, str]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    return side.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]


def attribute(side: Side, url: str, name: str) -> str | None:
    answer = side.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])
    return answer.get("Attributes", {}).get(name)


def arn(side: Side, url: str) -> str:
    return attribute(side, url, "QueueArn") or ""


def create_results(side: Side, name: str, values: list[str]) -> dict[str, Any]:
    """CreateQueue with ``name`` set to each value in turn: the URL's tail or the error."""
    out = {}
    for index, value in enumerate(values):
        answer = side.attempt(side.sqs.create_queue, QueueName=f"q{index}",
                              Attributes={name: value})
        out[value] = answer.get("Error", "created")
    return out


def codes(answer: dict[str, Any]) -> dict[str, Any]:
    """A batch answer as entry Id -> 'ok' or the error code."""
    out: dict[str, Any] = {e["Id"]: "ok" for e in answer.get("Successful", [])}
    out.update({e["Id"]: e["Code"] for e in answer.get("Failed", [])})
    if "Error" in answer:
        return answer
    return out


def send_outcome(side: Side, url: str, **params: Any) -> str:
    """'sent', or the error code SendMessage answers with."""
    params.setdefault("MessageBody", "x")
    return side.attempt(side.sqs.send_message, QueueUrl=url, **params).get("Error", "sent")


def hidden_then_shown(side: Side, url: str, **params: Any) -> Any:
    """Send a delayed message: what a receive sees at once, then after the delay (1 s)."""
    send(side, url, "late", **params)
    before = receive(side, url), counts(side, url)
    side.wait(1.2)
    return before, bodies(receive(side, url))
