""""Why didn't it...?" for SQS: why a receive did not return a message.

Amazon SQS Developer Guide: a received message is hidden for its visibility timeout ("Amazon
SQS visibility timeout"); a delayed one until its delay ends ("Amazon SQS delay queues"); in a
FIFO queue no message of a group is returned while an earlier one of that group is in flight,
and a group's messages come in order ("Message ordering").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..causes import code
from .messages import DELAYED, IN_FLIGHT

if TYPE_CHECKING:
    from .model import SQS


def why_not_received(sqs: SQS, queue_name: str, message_id: str) -> str | None:
    """Why the message is not returned by a receive now; None when it is not in the queue."""
    queue = sqs.queues.get(queue_name)
    message = None if queue is None else queue.messages.get(message_id)
    if queue is None or message is None:
        return None
    if message.state is IN_FLIGHT:
        who = f" by {code(message.consumer)}" if message.consumer else ""
        return (f"it is in flight: received{who} at t={message.received_at:g} s (receive "
                f"count {message.receive_count}) and hidden until t={message.visible_at:g} s; "
                "a receive before then skips it, and a delete ends it")
    if message.state is DELAYED:
        return f"it is delayed: hidden until t={message.visible_at:g} s by DelaySeconds"
    group = message.group_id
    if queue.fifo and group is not None:
        earlier = [m for m in queue.messages.values()
                   if m.group_id == group and m.order < message.order]
        blocker = next((m for m in earlier if m.state is IN_FLIGHT), None)
        if blocker is not None:
            return (f"FIFO group {code(group)} is blocked by message {code(blocker.id)}, in "
                    f"flight until t={blocker.visible_at:g} s: no later message of the group "
                    "is returned until it is deleted or visible again")
        if earlier:
            return (f"it waits behind {len(earlier)} earlier message(s) of FIFO group "
                    f"{code(group)}, which come out first, in order")
    return "it is visible: the next ReceiveMessage on the queue can return it"
