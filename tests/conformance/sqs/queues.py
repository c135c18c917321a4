"""Cases: creating, finding, listing, configuring, purging and deleting queues."""

from __future__ import annotations

from .cases import case
from .kit import attribute, counts, create_results, make, make_fifo, send

#: API Reference pages the moto-departing cases cite.
API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_"
CREATE_QUEUE = f"CreateQueue, {API}CreateQueue.html: Attributes"
DELETE_QUEUE = f"DeleteQueue, {API}DeleteQueue.html"


def set_outcome(s, **attributes):
    """'set', or the error SetQueueAttributes answers for a new standard queue."""
    answer = s.attempt(s.sqs.set_queue_attributes, QueueUrl=make(s, "orders"),
                       Attributes=attributes)
    return answer.get("Error", "set")


@case
def create_queue_default_attributes(s):
    url = make(s, "orders")
    return url, s.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])


@case
def create_fifo_queue_default_attributes(s):
    url = make_fifo(s)
    return s.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])


@case
def get_queue_url_existing_and_missing(s):
    make(s, "orders")
    return (s.attempt(s.sqs.get_queue_url, QueueName="orders"),
            s.attempt(s.sqs.get_queue_url, QueueName="missing"))


@case
def list_queues_by_prefix(s):
    for name in ("alpha", "alps", "beta"):
        make(s, name)
    return (sorted(s.sqs.list_queues(QueueNamePrefix="al")["QueueUrls"]),
            s.sqs.list_queues(QueueNamePrefix="zz").get("QueueUrls", []))


@case
def list_queues_paginated(s):
    for name in ("q1", "q2", "q3"):
        make(s, name)
    first = s.sqs.list_queues(MaxResults=2)
    rest = s.sqs.list_queues(MaxResults=2, NextToken=first["NextToken"])
    return len(first["QueueUrls"]), len(rest["QueueUrls"]), "NextToken" in rest


@case
def create_existing_same_attributes_returns_url(s):
    first = make(s, "orders", VisibilityTimeout="10")
    return first == make(s, "orders", VisibilityTimeout="10")


@case
def create_existing_different_attributes_fails(s):
    make(s, "orders", VisibilityTimeout="10")
    return s.attempt(s.sqs.create_queue, QueueName="orders",
                     Attributes={"VisibilityTimeout": "20"})


@case
def delete_queue_then_use_it(s):
    url = make(s, "orders")
    s.sqs.delete_queue(QueueUrl=url)
    return (s.attempt(s.sqs.get_queue_url, QueueName="orders"),
            s.attempt(s.sqs.send_message, QueueUrl=url, MessageBody="x"),
            s.sqs.list_queues().get("QueueUrls", []))


@case(aws="QueueDeletedRecently", moto="moto re-creates the queue at once",
      source=DELETE_QUEUE + ": wait at least 60 seconds before creating a queue of the same name")
def recreate_deleted_queue_within_60_seconds(s):
    s.sqs.delete_queue(QueueUrl=make(s, "orders"))
    return s.attempt(s.sqs.create_queue, QueueName="orders").get("Error", "created")


@case(aws={"-1": "InvalidAttributeValue", "0": "created", "43200": "created",
           "43201": "InvalidAttributeValue", "ten": "InvalidAttributeValue"},
      moto="moto accepts any VisibilityTimeout", source=CREATE_QUEUE + ", VisibilityTimeout")
def visibility_timeout_range(s):
    return create_results(s, "VisibilityTimeout", ["-1", "0", "43200", "43201", "ten"])


@case(aws={"59": "InvalidAttributeValue", "60": "created", "1209600": "created",
           "1209601": "InvalidAttributeValue"},
      moto="moto accepts any MessageRetentionPeriod",
      source=CREATE_QUEUE + ", MessageRetentionPeriod")
def message_retention_period_range(s):
    return create_results(s, "MessageRetentionPeriod", ["59", "60", "1209600", "1209601"])


@case(aws={"-1": "InvalidAttributeValue", "0": "created", "900": "created",
           "901": "InvalidAttributeValue"},
      moto="moto accepts any DelaySeconds", source=CREATE_QUEUE + ", DelaySeconds")
def delay_seconds_range(s):
    return create_results(s, "DelaySeconds", ["-1", "0", "900", "901"])


@case
def maximum_message_size_range(s):
    return create_results(s, "MaximumMessageSize", ["1023", "1024", "1048576", "1048577"])


@case(aws={"-1": "InvalidAttributeValue", "0": "created", "20": "created",
           "21": "InvalidAttributeValue"},
      moto="moto accepts any ReceiveMessageWaitTimeSeconds",
      source=CREATE_QUEUE + ", ReceiveMessageWaitTimeSeconds")
def receive_wait_time_range(s):
    return create_results(s, "ReceiveMessageWaitTimeSeconds", ["-1", "0", "20", "21"])


@case(aws="InvalidAttributeName", moto="moto creates the queue and ignores the attribute",
      source=CREATE_QUEUE + "; Errors: InvalidAttributeName, the attribute doesn't exist")
def create_with_unknown_attribute(s):
    answer = s.attempt(s.sqs.create_queue, QueueName="orders", Attributes={"Colour": "blue"})
    return answer.get("Error", "created")


@case
def get_unknown_attribute(s):
    url = make(s, "orders")
    return s.attempt(s.sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Colour"])


@case
def set_queue_attributes_then_get(s):
    url = make(s, "orders")
    s.sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45",
                                                         "DelaySeconds": "5"})
    return s.sqs.get_queue_attributes(QueueUrl=url,
                                      AttributeNames=["VisibilityTimeout", "DelaySeconds"])


@case(aws="InvalidAttributeValue", moto="moto stores the out-of-range value",
      source=f"SetQueueAttributes, {API}SetQueueAttributes.html: VisibilityTimeout 0 to 43,200")
def set_queue_attributes_out_of_range(s):
    return set_outcome(s, VisibilityTimeout="99999")


@case(aws="InvalidParameterValue", moto="moto creates a queue named jobs.fifo",
      source=CREATE_QUEUE + ", QueueName: a standard queue's name has only alphanumerics, "
      "hyphens and underscores; only a FIFO queue's name ends in .fifo")
def fifo_name_without_fifo_attribute(s):
    return s.attempt(s.sqs.create_queue, QueueName="jobs.fifo").get("Error", "created")


@case
def fifo_attribute_without_fifo_suffix(s):
    return s.attempt(s.sqs.create_queue, QueueName="jobs", Attributes={"FifoQueue": "true"})


@case
def queue_name_rules(s):
    names = ["a" * 80, "a" * 81, "has space", "dots.dots", "x" * 75 + ".fifo"]
    out = []
    for name in names:
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        answer = s.attempt(s.sqs.create_queue, QueueName=name, Attributes=attributes)
        out.append(answer.get("Error", "created"))
    return out


@case(aws="InvalidAttributeName", moto="moto creates a standard queue with the attribute",
      source=CREATE_QUEUE + ": ContentBasedDeduplication applies only to FIFO queues")
def fifo_attribute_on_standard_queue(s):
    answer = s.attempt(s.sqs.create_queue, QueueName="orders",
                       Attributes={"ContentBasedDeduplication": "true"})
    return answer.get("Error", "created")


@case
def tags_given_at_creation(s):
    url = s.sqs.create_queue(QueueName="orders", tags={"team": "blue"})["QueueUrl"]
    # No tags may come back as an empty map or as no map: boto3 users read .get("Tags", {}).
    return [s.sqs.list_queue_tags(QueueUrl=u).get("Tags", {}) for u in (url, make(s, "bare"))]


@case
def purge_empties_the_queue(s):
    url = make(s, "orders")
    for body in ("a", "b", "c"):
        send(s, url, body)
    s.sqs.purge_queue(QueueUrl=url)
    return counts(s, url), s.sqs.receive_message(QueueUrl=url)


@case
def purge_twice_within_60_seconds(s):
    url = make(s, "orders")
    s.sqs.purge_queue(QueueUrl=url)
    return s.attempt(s.sqs.purge_queue, QueueUrl=url).get("Error", "purged")


@case
def attribute_counts_follow_messages(s):
    url = make(s, "orders")
    send(s, url, "a")
    send(s, url, "b")
    send(s, url, "late", DelaySeconds=30)
    s.sqs.receive_message(QueueUrl=url)
    return counts(s, url), attribute(s, url, "VisibilityTimeout")


@case(aws="InvalidAttributeName", moto="moto answers success and keeps a standard queue",
      source=f"SetQueueAttributes, {API}SetQueueAttributes.html: FifoQueue is not among the "
      "attributes it sets; CreateQueue: a queue's type cannot change after it is created")
def set_fifo_queue_attribute_later(s):
    return set_outcome(s, FifoQueue="true")


@case(aws="QueueDoesNotExist", moto="moto ignores QueueOwnerAWSAccountId",
      source=f"GetQueueUrl, {API}GetQueueUrl.html: QueueOwnerAWSAccountId names the account "
      "that created the queue; that account has no queue of this name")
def get_queue_url_of_another_account(s):
    make(s, "orders")
    answer = s.attempt(s.sqs.get_queue_url, QueueName="orders",
                       QueueOwnerAWSAccountId="999999999999")
    return answer.get("Error", "found")


@case(aws=["InvalidParameterValue", "InvalidParameterValue"],
      moto="moto accepts any MaxResults",
      source=f"ListQueues, {API}ListQueues.html, MaxResults: 1 to 1,000")
def list_queues_max_results_range(s):
    make(s, "orders")
    return [s.attempt(s.sqs.list_queues, MaxResults=n).get("Error", "listed") for n in (0, 1001)]


@case(aws='{"Version":"2012-10-17"}', moto="moto leaves Policy out of GetQueueAttributes",
      source=f"GetQueueAttributes, {API}GetQueueAttributes.html: Policy, the queue's policy")
def policy_attribute_read_back(s):
    url = make(s, "orders", Policy='{"Version":"2012-10-17"}')
    return attribute(s, url, "Policy")


@case
def messages_sent_after_a_purge_stay(s):
    url = make(s, "orders")
    send(s, url, "old")
    s.sqs.purge_queue(QueueUrl=url)
    send(s, url, "new")
    return [m["Body"] for m in s.sqs.receive_message(QueueUrl=url).get("Messages", [])]
