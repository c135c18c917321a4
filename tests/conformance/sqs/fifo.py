"""Cases: FIFO queues — group order and locking, deduplication, their required parameters."""

from __future__ import annotations

from .cases import case
from .kit import bodies, make, make_fifo, receive, send, send_outcome

API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_"


def send_group(s, url, group, *texts, **params):
    for text in texts:
        send(s, url, text, MessageGroupId=group, MessageDeduplicationId=text, **params)


@case
def fifo_keeps_order_within_a_group(s):
    url = make_fifo(s)
    send_group(s, url, "g", "1", "2", "3", "4", "5")
    return bodies(receive(s, url))


@case
def fifo_group_is_locked_while_in_flight(s):
    url = make_fifo(s)
    send_group(s, url, "g", "g1", "g2")
    first = bodies(receive(s, url, MaxNumberOfMessages=1))
    return first, receive(s, url)


@case
def fifo_other_groups_flow_while_one_is_locked(s):
    url = make_fifo(s)
    send_group(s, url, "g", "g1", "g2")
    send_group(s, url, "h", "h1")
    first = bodies(receive(s, url, MaxNumberOfMessages=1))
    return first, bodies(receive(s, url))


@case
def fifo_group_unlocks_after_delete(s):
    url = make_fifo(s)
    send_group(s, url, "g", "g1", "g2")
    got = receive(s, url, MaxNumberOfMessages=1)
    s.sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    return bodies(receive(s, url))


@case(aws="MissingParameter", moto="moto answers MissingRequiredParameterException, no SQS code",
      source=f"SendMessage, {API}SendMessage.html, MessageGroupId: required for FIFO queues; "
      f"{API}CommonErrors.html: MissingParameter")
def fifo_requires_message_group_id(s):
    url = make_fifo(s, ContentBasedDeduplication="true")
    return send_outcome(s, url)


@case
def fifo_requires_deduplication_id_without_content_based(s):
    url = make_fifo(s)
    return s.attempt(s.sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g")


@case
def fifo_explicit_deduplication_id(s):
    url = make_fifo(s)
    # Whether the duplicate's answer repeats the first MessageId is not documented: not compared.
    send(s, url, "a", MessageGroupId="g", MessageDeduplicationId="d1")
    send(s, url, "b", MessageGroupId="g", MessageDeduplicationId="d1")
    return bodies(receive(s, url))


@case
def fifo_content_based_deduplication(s):
    url = make_fifo(s, ContentBasedDeduplication="true")
    for body in ("same", "same", "other"):
        send(s, url, body, MessageGroupId="g")
    return bodies(receive(s, url))


@case(aws=[], moto="moto accepts the re-send once the first copy is deleted",
      source=f"SendMessage, {API}SendMessage.html, MessageDeduplicationId: a message with a "
      "deduplication id already sent is accepted but not delivered during the 5-minute "
      "deduplication interval")
def fifo_deduplication_outlives_delete(s):
    url = make_fifo(s)
    send(s, url, "a", MessageGroupId="g", MessageDeduplicationId="d1")
    got = receive(s, url)
    s.sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    send(s, url, "a", MessageGroupId="g", MessageDeduplicationId="d1")
    return bodies(receive(s, url))


@case
def fifo_refuses_per_message_delay(s):
    url = make_fifo(s)
    return s.attempt(s.sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g",
                     MessageDeduplicationId="d", DelaySeconds=1)


@case
def fifo_queue_delay_applies(s):
    url = make_fifo(s, DelaySeconds="1")
    send_group(s, url, "g", "late")
    before = receive(s, url)
    s.wait(1.2)
    return before, bodies(receive(s, url))


@case(aws=[True, 3], moto="moto's sequence numbers are random, in no order",
      source=f"SendMessage, {API}SendMessage.html, SequenceNumber: it keeps increasing for a "
      "message group")
def fifo_sequence_numbers_increase(s):
    url = make_fifo(s)
    numbers = [send(s, url, t, MessageGroupId="g", MessageDeduplicationId=t)["SequenceNumber"]
               for t in ("a", "b", "c")]
    return [int(n) for n in numbers] == sorted(int(n) for n in numbers), len(set(numbers))


@case
def fifo_system_attributes(s):
    url = make_fifo(s)
    send_group(s, url, "g", "a")
    got = receive(s, url, MessageSystemAttributeNames=["All"])
    return got[0]["Attributes"]


@case(aws="InvalidParameterValue", moto="moto sends the message and ignores the id",
      source=f"SendMessage, {API}SendMessage.html, MessageDeduplicationId: applies only to "
      "FIFO queues")
def deduplication_id_on_standard_queue(s):
    return send_outcome(s, make(s, "orders"), MessageDeduplicationId="d")


@case(aws=["1", "2", "3"], moto="moto returns only the last of the three",
      source=f"ReceiveMessage, {API}ReceiveMessage.html: a FIFO queue returns a group's "
      "messages in order, and a message whose visibility timeout ends is receivable again")
def fifo_redelivers_in_order_after_visibility_timeout(s):
    url = make_fifo(s)
    send_group(s, url, "g", "1", "2", "3")
    receive(s, url, VisibilityTimeout=0)
    return bodies(receive(s, url))


@case
def fifo_batch_keeps_order(s):
    url = make_fifo(s, ContentBasedDeduplication="true")
    entries = [{"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g"} for i in range(5)]
    s.sqs.send_message_batch(QueueUrl=url, Entries=entries)
    return bodies(receive(s, url))


@case(aws={"SequenceNumber": "<seq>", "MessageGroupId": "g"},
      moto="moto leaves SequenceNumber out when asked with AttributeNames",
      source=f"ReceiveMessage, {API}ReceiveMessage.html, AttributeNames (deprecated for "
      "MessageSystemAttributeNames, same values): All includes SequenceNumber on FIFO queues")
def fifo_sequence_number_with_attribute_names_all(s):
    url = make_fifo(s, ContentBasedDeduplication="true")
    send(s, url, "x", MessageGroupId="g")
    attributes = receive(s, url, AttributeNames=["All"])[0]["Attributes"]
    return {name: attributes.get(name) for name in ("SequenceNumber", "MessageGroupId")}


@case(aws=["InvalidParameterValue", "InvalidParameterValue"],
      moto="moto accepts a 129-character deduplication id and a group id with a space",
      source=f"SendMessage, {API}SendMessage.html, MessageDeduplicationId and MessageGroupId: "
      "at most 128 characters, alphanumerics and punctuation")
def fifo_token_rules(s):
    url = make_fifo(s)
    return [send_outcome(s, url, MessageGroupId="g", MessageDeduplicationId="x" * 129),
            send_outcome(s, url, MessageGroupId="g g", MessageDeduplicationId="x")]


@case(aws=["a", "b"], moto="moto deduplicates across groups whatever the scope",
      source=f"CreateQueue, {API}CreateQueue.html, DeduplicationScope: messageGroup makes "
      "deduplication per message group")
def fifo_deduplication_scope_message_group(s):
    url = make_fifo(s, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    send(s, url, "a", MessageGroupId="g", MessageDeduplicationId="same")
    send(s, url, "b", MessageGroupId="h", MessageDeduplicationId="same")
    return sorted(bodies(receive(s, url)))
