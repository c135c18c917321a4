"""The opt-in realism setting of standard queues: server sampling on short polls, occasional
duplicates, best-effort order; seeded, so it replays (SQS Developer Guide, "Amazon SQS
standard queues", "Amazon SQS short and long polling")."""

from engine import Simulation


def run(seed, realism, polls=60, wait=0):
    """100 messages, then short (or long) polls for up to 10 without deleting; the trace."""
    sim = Simulation(seed)
    events = []
    sim.subscribe(events.append)
    sim.sqs.realism.enabled = realism
    url = sim.sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "20"})["QueueUrl"]
    for i in range(100):
        sim.sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    answers = []
    for _ in range(polls):
        response = sim.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=wait)
        answers.append([m["Body"] for m in response.get("Messages", [])])
        sim.advance(1)
    return events, answers


def test_off_by_default_every_poll_gets_the_oldest_messages_in_order():
    events, answers = run(seed=1, realism=False)
    assert answers[0] == [f"m{i}" for i in range(10)]
    assert all(len(a) == 10 for a in answers[:10])
    assert not any("realism" in e.reason for e in events)


def test_short_polls_sample_servers_and_may_return_fewer_or_out_of_order():
    _, answers = run(seed=1, realism=True)
    first = answers[0]
    assert len(first) == 10
    assert first != sorted(first, key=lambda b: int(b[1:]))  # not in send order
    short = [a for a in answers if len(a) < 10]
    assert short  # some polls get fewer than the 10 visible messages they asked for


def test_long_polls_ask_every_server():
    _, answers = run(seed=1, realism=True, polls=10, wait=5)
    assert all(len(a) == 10 for a in answers)
    assert sorted(answers[0]) == sorted(f"m{i}" for i in range(10))  # the oldest, shuffled


def test_realism_occasionally_lets_a_message_be_received_twice_at_once():
    events, _ = run(seed=1, realism=True)
    lapsed = [e for e in events if e.kind == "visible" and "realism" in e.reason]
    assert lapsed
    first = lapsed[0]
    received = [e for e in events if e.kind == "received" and e.message_id == first.message_id]
    assert len(received) >= 2
    assert received[0].at < first.at < received[0].at + 20  # before its timeout would end


def test_realism_replays_with_the_seed_and_differs_with_another():
    assert run(seed=7, realism=True) == run(seed=7, realism=True)
    assert run(seed=7, realism=True)[1] != run(seed=8, realism=True)[1]


def test_fifo_queues_ignore_realism():
    sim = Simulation(3)
    sim.sqs.realism.enabled = True
    url = sim.sqs.create_queue(QueueName="q.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for i in range(30):
        sim.sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")
    got = []
    for _ in range(3):
        response = sim.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        got += [m["Body"] for m in response["Messages"]]
        for m in response["Messages"]:
            sim.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert got == [f"m{i}" for i in range(30)]
