"""Cases: sending, receiving, deleting, visibility timeouts, delays and polling.

Real time passes on moto's side, so timeouts and delays here are 1 s and waits 1.2 s.
"""

from __future__ import annotations

from .cases import case
from .kit import bodies, counts, hidden_then_shown, make, receive, send, send_outcome

API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_"
ATTRIBUTES = {
    "colour": {"DataType": "String", "StringValue": "blue"},
    "count": {"DataType": "Number", "StringValue": "42"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    "trace.id": {"DataType": "String", "StringValue": "t-1"},
}


@case
def send_receive_delete(s):
    url = make(s, "orders")
    sent = send(s, url, "hello")
    got = receive(s, url)
    s.sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    return sent, got, counts(s, url)


@case
def receive_from_empty_queue(s):
    return s.sqs.receive_message(QueueUrl=make(s, "orders"))


@case
def receive_takes_at_most_max_number(s):
    url = make(s, "orders")
    for index in range(12):
        send(s, url, f"m{index}")
    return len(receive(s, url, MaxNumberOfMessages=3)), counts(s, url)


@case
def max_number_of_messages_range(s):
    url = make(s, "orders")
    send(s, url, "x")
    return [s.attempt(s.sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=n).get("Error")
            for n in (0, 11)]


@case
def in_flight_message_is_hidden(s):
    url = make(s, "orders")
    send(s, url, "a")
    first = receive(s, url)
    return bodies(first), receive(s, url), counts(s, url)


@case
def visibility_timeout_expires(s):
    url = make(s, "orders", VisibilityTimeout="1")
    send(s, url, "a")
    first = receive(s, url, AttributeNames=["ApproximateReceiveCount"])
    s.wait(1.2)
    again = receive(s, url, AttributeNames=["ApproximateReceiveCount"])
    return first, again, first[0]["ReceiptHandle"] != again[0]["ReceiptHandle"]


@case
def receive_visibility_timeout_overrides_queue(s):
    url = make(s, "orders")
    send(s, url, "a")
    receive(s, url, VisibilityTimeout=1)
    s.wait(1.2)
    return bodies(receive(s, url))


@case
def change_visibility_to_zero_releases(s):
    url = make(s, "orders")
    send(s, url, "a")
    handle = receive(s, url)[0]["ReceiptHandle"]
    s.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return receive(s, url, AttributeNames=["ApproximateReceiveCount"])


@case
def change_visibility_extends(s):
    url = make(s, "orders", VisibilityTimeout="1")
    send(s, url, "a")
    handle = receive(s, url)[0]["ReceiptHandle"]
    s.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=30)
    s.wait(1.2)
    return receive(s, url), counts(s, url)


@case
def change_visibility_out_of_range(s):
    url = make(s, "orders")
    send(s, url, "a")
    handle = receive(s, url)[0]["ReceiptHandle"]
    return s.attempt(s.sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle,
                     VisibilityTimeout=43201)


@case
def garbage_receipt_handle(s):
    url = make(s, "orders")
    send(s, url, "a")
    return (s.attempt(s.sqs.delete_message, QueueUrl=url, ReceiptHandle="not-a-handle"),
            s.attempt(s.sqs.change_message_visibility, QueueUrl=url,
                      ReceiptHandle="not-a-handle", VisibilityTimeout=5))


@case(aws=({}, ["a"]), moto="moto deletes the message with an outdated receipt handle",
      source=f"DeleteMessage, {API}DeleteMessage.html: with an old ReceiptHandle the request "
      "succeeds but the message might not be deleted")
def delete_with_outdated_receipt_handle(s):
    url = make(s, "orders")
    send(s, url, "a")
    old = receive(s, url, VisibilityTimeout=0)[0]["ReceiptHandle"]
    receive(s, url, VisibilityTimeout=0)  # a second receive: ``old`` is outdated now
    answer = s.sqs.delete_message(QueueUrl=url, ReceiptHandle=old)
    return answer, bodies(receive(s, url))


@case
def delete_twice_with_same_handle(s):
    url = make(s, "orders")
    send(s, url, "a")
    handle = receive(s, url)[0]["ReceiptHandle"]
    s.sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    return s.attempt(s.sqs.delete_message, QueueUrl=url, ReceiptHandle=handle), counts(s, url)


@case
def message_delay_hides_then_shows(s):
    return hidden_then_shown(s, make(s, "orders"), DelaySeconds=1)


@case
def queue_delay_hides_then_shows(s):
    return hidden_then_shown(s, make(s, "orders", DelaySeconds="1"))


@case
def message_delay_overrides_queue_delay(s):
    url = make(s, "orders", DelaySeconds="60")
    send(s, url, "now", DelaySeconds=0)
    return bodies(receive(s, url))


@case(aws=["InvalidParameterValue", "sent", "InvalidParameterValue"],
      moto="moto accepts DelaySeconds=-1",
      source=f"SendMessage, {API}SendMessage.html, DelaySeconds: 0 to 900")
def message_delay_range(s):
    url = make(s, "orders")
    return [send_outcome(s, url, DelaySeconds=d) for d in (-1, 900, 901)]


@case
def long_poll_on_empty_queue_returns_nothing(s):
    return s.sqs.receive_message(QueueUrl=make(s, "orders"), WaitTimeSeconds=1)


@case
def long_poll_receives_a_message_that_becomes_visible(s):
    url = make(s, "orders")
    send(s, url, "late", DelaySeconds=1)
    return bodies(receive(s, url, WaitTimeSeconds=3))


@case
def queue_wait_time_makes_receives_long_polls(s):
    url = make(s, "orders", ReceiveMessageWaitTimeSeconds="2")
    send(s, url, "late", DelaySeconds=1)
    return bodies(receive(s, url))


@case
def wait_time_seconds_range(s):
    url = make(s, "orders")
    return s.attempt(s.sqs.receive_message, QueueUrl=url, WaitTimeSeconds=21)


@case
def message_attributes_round_trip(s):
    url = make(s, "orders")
    sent = send(s, url, "x", MessageAttributes=ATTRIBUTES)
    got = receive(s, url, MessageAttributeNames=["All"])
    return sent, got


@case
def message_attributes_chosen_by_name_and_prefix(s):
    url = make(s, "orders")
    send(s, url, "x", MessageAttributes=ATTRIBUTES)
    got = receive(s, url, MessageAttributeNames=["colour", "trace.*"])
    return sorted(got[0]["MessageAttributes"]), got[0]["MD5OfMessageAttributes"]


@case
def message_attributes_not_asked_for(s):
    url = make(s, "orders")
    send(s, url, "x", MessageAttributes=ATTRIBUTES)
    return receive(s, url)


@case(aws="InvalidParameterValue", moto="moto accepts an attribute without a value",
      source=f"MessageAttributeValue, {API}MessageAttributeValue.html: name, type, value and "
      "the message body must not be empty or null")
def message_attribute_without_value(s):
    return send_outcome(s, make(s, "orders"), MessageAttributes={"a": {"DataType": "String"}})


@case
def system_attributes_all(s):
    url = make(s, "orders")
    send(s, url, "x")
    got = receive(s, url, MessageSystemAttributeNames=["All"])
    return got[0]["Attributes"]


@case
def system_attribute_by_name(s):
    url = make(s, "orders")
    send(s, url, "x")
    return receive(s, url, AttributeNames=["ApproximateReceiveCount", "SentTimestamp"])


@case
def body_too_long_for_queue(s):
    url = make(s, "orders", MaximumMessageSize="1024")
    return [send_outcome(s, url, MessageBody="x" * n) for n in (1024, 1025)]


@case(aws="InvalidMessageContents", moto="moto accepts a NUL character",
      source=f"SendMessage, {API}SendMessage.html, MessageBody: only #x9, #xA, #xD and "
      "#x20 upwards are allowed; InvalidMessageContents")
def body_with_forbidden_character(s):
    return send_outcome(s, make(s, "orders"), MessageBody="bad\x00byte")


@case(aws="MissingParameter", moto="moto fails with an internal error (500)",
      source=f"SendMessage, {API}SendMessage.html: MessageBody is required; "
      f"{API}CommonErrors.html: MissingParameter")
def send_without_body(s):
    url = make(s, "orders")
    return s.attempt(s.sqs.send_message, QueueUrl=url).get("Error", "sent")


@case
def receive_count_grows_with_each_receive(s):
    url = make(s, "orders")
    send(s, url, "a")
    seen = []
    for _ in range(3):
        got = receive(s, url, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"])
        seen.append(got[0]["Attributes"]["ApproximateReceiveCount"])
    return seen


@case(aws=["InvalidParameterValue", "InvalidParameterValue", "InvalidParameterValue",
           "InvalidParameterValue", "sent", "InvalidParameterValue"],
      moto="moto accepts 11 attributes, reserved and '..' names, and a non-numeric Number",
      source=f"SendMessage, {API}SendMessage.html, MessageAttributes: at most 10 attributes, "
      "names not starting with AWS. or Amazon. and without successive periods; SQS Developer "
      "Guide, 'Amazon SQS message attributes': a Number holds a numeric value")
def message_attribute_rules(s):
    url = make(s, "orders")
    eleven = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    singles = [("AWS.x", "String", "v"), ("a..b", "String", "v"), ("n", "Number", "abc"),
               ("n", "String.custom", "abc"), ("n", "Weird", "abc")]
    return [send_outcome(s, url, MessageAttributes=eleven)] + [
        send_outcome(s, url, MessageAttributes={name: {"DataType": kind, "StringValue": value}})
        for name, kind, value in singles]


@case(aws=["ReceiptHandleIsInvalid", "MissingParameter"],
      moto="moto answers success to a DeleteMessage without a ReceiptHandle",
      source=f"DeleteMessage, {API}DeleteMessage.html: ReceiptHandle is required; "
      f"{API}CommonErrors.html: MissingParameter")
def delete_with_empty_or_missing_handle(s):
    url = make(s, "orders")
    send(s, url, "x")
    return [s.attempt(s.sqs.delete_message, QueueUrl=url, ReceiptHandle="").get("Error", "ok"),
            s.attempt(s.sqs.delete_message, QueueUrl=url).get("Error", "ok")]


@case(aws="InvalidParameterValue", moto="moto accepts VisibilityTimeout=-1 on a receive",
      source=f"ReceiveMessage, {API}ReceiveMessage.html, VisibilityTimeout; SQS Developer "
      "Guide, 'Amazon SQS visibility timeout': from 0 seconds to 12 hours")
def receive_visibility_timeout_range(s):
    url = make(s, "orders")
    send(s, url, "x")
    answer = s.attempt(s.sqs.receive_message, QueueUrl=url, VisibilityTimeout=-1)
    return answer.get("Error", "received")


@case(aws={"Error": "MessageNotInflight"},
      moto="moto changes the visibility of a message that is visible again",
      source=f"ChangeMessageVisibility, {API}ChangeMessageVisibility.html: Errors, "
      "MessageNotInflight (the message isn't in flight)")
def change_visibility_after_timeout_expired(s):
    url = make(s, "orders", VisibilityTimeout="1")
    send(s, url, "a")
    handle = receive(s, url)[0]["ReceiptHandle"]
    s.wait(1.2)
    return s.attempt(s.sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle,
                     VisibilityTimeout=5)
