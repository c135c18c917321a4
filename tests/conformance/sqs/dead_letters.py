"""Cases: dead-letter queues, redrive policies, message move tasks, and batch actions."""

from __future__ import annotations

import json

from .cases import case
from .kit import arn, attribute, bodies, codes, counts, make, receive, send

API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_"
CREATE_QUEUE = f"CreateQueue, {API}CreateQueue.html"


def policy(target_arn: str, count: object = 2) -> str:
    return json.dumps({"deadLetterTargetArn": target_arn, "maxReceiveCount": count})


def source_and_dlq(s, count: object = 2) -> tuple[str, str]:
    dlq = make(s, "orders-dlq")
    return make(s, "orders", RedrivePolicy=policy(arn(s, dlq), count)), dlq


def dead_lettered(s) -> tuple[str, str]:
    """A source whose one message ("poison") has moved to its dead-letter queue."""
    url, dlq = source_and_dlq(s, 1)
    send(s, url, "poison")
    receive_until_moved(s, url, 2)
    return url, dlq


def receive_until_moved(s, url: str, times: int) -> list[list[str]]:
    # VisibilityTimeout=0: the message is visible again at once, so no real time passes.
    return [bodies(receive(s, url, VisibilityTimeout=0)) for _ in range(times)]


@case
def dead_letter_after_max_receive_count(s):
    url, dlq = source_and_dlq(s)
    send(s, url, "poison")
    seen = receive_until_moved(s, url, 3)
    got = receive(s, dlq, AttributeNames=["All"])
    return seen, bodies(got), counts(s, url)


@case
def dead_letter_keeps_message_id(s):
    url, dlq = source_and_dlq(s, 1)
    sent = send(s, url, "poison")
    receive_until_moved(s, url, 2)
    return sent["MessageId"] == receive(s, dlq)[0]["MessageId"]


@case
def redrive_policy_read_back(s):
    url, dlq = source_and_dlq(s, 3)
    return json.loads(attribute(s, url, "RedrivePolicy"))


@case
def list_dead_letter_source_queues(s):
    url, dlq = source_and_dlq(s)
    make(s, "unrelated")
    return (s.sqs.list_dead_letter_source_queues(QueueUrl=dlq),
            s.sqs.list_dead_letter_source_queues(QueueUrl=url))


@case(aws={"0": "InvalidParameterValue", "1": "created", "1000": "created",
           "1001": "InvalidParameterValue"},
      moto="moto accepts any maxReceiveCount",
      source=f"{CREATE_QUEUE}, RedrivePolicy maxReceiveCount; SQS Developer Guide, "
      "'Configuring a dead-letter queue': Maximum receives, 1 to 1,000")
def redrive_policy_max_receive_count_range(s):
    dlq_arn = arn(s, make(s, "dlq"))
    out = {}
    for count in (0, 1, 1000, 1001):
        answer = s.attempt(s.sqs.create_queue, QueueName=f"src{count}",
                           Attributes={"RedrivePolicy": policy(dlq_arn, count)})
        out[str(count)] = answer.get("Error", "created")
    return out


@case(aws="InvalidParameterValue", moto="moto answers QueueDoesNotExist",
      source=f"{CREATE_QUEUE}, RedrivePolicy: an invalid attribute value is "
      "InvalidParameterValue ('Value ... for parameter RedrivePolicy is invalid')")
def redrive_policy_to_missing_queue(s):
    missing = arn(s, make(s, "dlq")).replace(":dlq", ":nowhere")
    answer = s.attempt(s.sqs.create_queue, QueueName="orders",
                       Attributes={"RedrivePolicy": policy(missing)})
    return answer.get("Error", "created")


@case
def redrive_policy_without_target(s):
    answer = s.attempt(s.sqs.create_queue, QueueName="orders",
                       Attributes={"RedrivePolicy": json.dumps({"maxReceiveCount": 3})})
    return answer.get("Error", "created")


@case(aws="InvalidParameterValue", moto="moto answers InvalidParameterCombination",
      source=f"{CREATE_QUEUE}, RedrivePolicy: the dead-letter queue of a FIFO queue must also "
      "be a FIFO queue; the page names no code for it, and mqlab answers as for every other "
      "invalid RedrivePolicy")
def fifo_dead_letter_queue_must_be_fifo(s):
    standard = arn(s, make(s, "dlq"))
    answer = s.attempt(s.sqs.create_queue, QueueName="jobs.fifo",
                       Attributes={"FifoQueue": "true", "RedrivePolicy": policy(standard)})
    return answer.get("Error", "created")


@case(aws="InvalidParameterValue", moto="moto stores any RedriveAllowPolicy",
      source=f"{CREATE_QUEUE}, RedriveAllowPolicy: redrivePermission is allowAll, denyAll or "
      "byQueue")
def redrive_allow_policy_bad_permission(s):
    answer = s.attempt(s.sqs.create_queue, QueueName="dlq", Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "sometimes"})})
    return answer.get("Error", "created")


@case
def remove_redrive_policy(s):
    url, _ = source_and_dlq(s)
    s.sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    return attribute(s, url, "RedrivePolicy")


@case(aws=("ok", ["poison"], []), moto="moto has no StartMessageMoveTask (an internal error)",
      source=f"StartMessageMoveTask, {API}StartMessageMoveTask.html: moves the messages of a "
      "dead-letter queue back to their source queue when no DestinationArn is given")
def move_task_returns_messages_to_source(s):
    url, dlq = dead_lettered(s)
    answer = s.attempt(s.sqs.start_message_move_task, SourceArn=arn(s, dlq))
    s.wait(1.2)
    return ("Error" not in answer and "ok", bodies(receive(s, url)), receive(s, dlq))


@case(aws="UnsupportedOperation", moto="moto has no StartMessageMoveTask (an internal error)",
      source=f"StartMessageMoveTask, {API}StartMessageMoveTask.html: the source must be a "
      "dead-letter queue of another queue")
def move_task_from_a_queue_that_is_no_dlq(s):
    plain = arn(s, make(s, "plain"))
    return s.attempt(s.sqs.start_message_move_task, SourceArn=plain).get("Error", "started")


# -- batch actions -------------------------------------------------------------------------
def entries(count: int) -> list[dict[str, str]]:
    return [{"Id": f"e{i}", "MessageBody": f"b{i}"} for i in range(count)]


@case
def send_batch(s):
    url = make(s, "orders")
    answer = s.sqs.send_message_batch(QueueUrl=url, Entries=entries(3))
    return sorted(answer["Successful"], key=lambda e: e["Id"]), answer.get("Failed", [])


@case
def send_batch_limits(s):
    url = make(s, "orders")
    duplicate = [{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}]
    bad_id = [{"Id": "has space", "MessageBody": "a"}]
    return [s.attempt(s.sqs.send_message_batch, QueueUrl=url, Entries=batch).get("Error")
            for batch in (entries(11), duplicate, [], bad_id)]


@case
def send_batch_entry_fails_alone(s):
    url = make(s, "orders")
    batch = entries(2) + [{"Id": "late", "MessageBody": "x", "DelaySeconds": 901}]
    return codes(s.sqs.send_message_batch(QueueUrl=url, Entries=batch)), counts(s, url)


@case
def send_batch_too_long(s):
    url = make(s, "orders", MaximumMessageSize="1024")
    big = [{"Id": f"e{i}", "MessageBody": "x" * 1000} for i in range(2)]
    return s.attempt(s.sqs.send_message_batch, QueueUrl=url, Entries=big)


@case
def delete_batch(s):
    url = make(s, "orders")
    s.sqs.send_message_batch(QueueUrl=url, Entries=entries(2))
    got = receive(s, url)
    batch = [{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
    batch.append({"Id": "bad", "ReceiptHandle": "not-a-handle"})
    return codes(s.sqs.delete_message_batch(QueueUrl=url, Entries=batch)), counts(s, url)


@case
def change_visibility_batch(s):
    url = make(s, "orders")
    s.sqs.send_message_batch(QueueUrl=url, Entries=entries(2))
    got = receive(s, url)
    batch = [{"Id": f"c{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
             for i, m in enumerate(got)]
    batch.append({"Id": "bad", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 0})
    answer = s.sqs.change_message_visibility_batch(QueueUrl=url, Entries=batch)
    return codes(answer), sorted(bodies(receive(s, url)))


@case(aws=["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount",
           "DeadLetterQueueSourceArn", "SenderId", "SentTimestamp"],
      moto="moto leaves DeadLetterQueueSourceArn out",
      source=f"ReceiveMessage, {API}ReceiveMessage.html, MessageSystemAttributeNames: "
      "DeadLetterQueueSourceArn, the source queue of a message moved to a dead-letter queue")
def dead_letter_source_arn_attribute(s):
    _, dlq = dead_lettered(s)
    return sorted(receive(s, dlq, MessageSystemAttributeNames=["All"])[0]["Attributes"])


@case(aws="InvalidParameterValue", moto="moto lets a source name a denyAll dead-letter queue",
      source=f"{CREATE_QUEUE}, RedriveAllowPolicy: with denyAll no source queue can specify "
      "this queue as its dead-letter queue")
def redrive_allow_policy_deny_all(s):
    dlq = make(s, "dlq", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    answer = s.attempt(s.sqs.create_queue, QueueName="orders",
                       Attributes={"RedrivePolicy": policy(arn(s, dlq))})
    return answer.get("Error", "created")


@case(aws={"Error": "BatchEntryIdsNotDistinct"}, moto="moto runs both entries",
      source=f"ChangeMessageVisibilityBatch, {API}ChangeMessageVisibilityBatch.html: Errors, "
      "BatchEntryIdsNotDistinct (two or more entries have the same Id)")
def change_visibility_batch_ids_not_distinct(s):
    url = make(s, "orders")
    entry = {"Id": "a", "ReceiptHandle": "x", "VisibilityTimeout": 1}
    return codes(s.attempt(s.sqs.change_message_visibility_batch, QueueUrl=url,
                           Entries=[entry, entry]))


@case(aws=["created", "InvalidParameterValue"],
      moto="moto lets any source name a byQueue dead-letter queue",
      source=f"{CREATE_QUEUE}, RedriveAllowPolicy: byQueue allows only the sourceQueueArns "
      "listed")
def redrive_allow_policy_by_queue(s):
    dlq_arn = arn(s, make(s, "dlq"))
    allowed = dlq_arn.replace(":dlq", ":allowed")
    s.sqs.set_queue_attributes(QueueUrl=s.sqs.get_queue_url(QueueName="dlq")["QueueUrl"],
                               Attributes={"RedriveAllowPolicy": json.dumps(
                                   {"redrivePermission": "byQueue", "sourceQueueArns": [allowed]})})
    return [s.attempt(s.sqs.create_queue, QueueName=name,
                      Attributes={"RedrivePolicy": policy(dlq_arn)}).get("Error", "created")
            for name in ("allowed", "other")]
