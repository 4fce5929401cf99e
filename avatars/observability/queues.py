"""Messages waiting on each queue, asked of whichever broker is configured."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name


def depths(queues: list[str]) -> dict[tuple[str, str], int]:
    """{(queue, "ready" | "delayed"): messages}. Raises when the broker cannot be asked."""
    broker = dramatiq.get_broker()
    if isinstance(broker, RedisBroker):
        return _redis(broker, queues)
    if isinstance(broker, RabbitmqBroker):
        return _rabbitmq(broker, queues)
    if isinstance(broker, StubBroker):
        return {
            (queue, state): broker.queues[name].qsize() if name in broker.queues else 0
            for queue in queues
            for state, name in (("ready", queue), ("delayed", dq_name(queue)))
        }
    return {}


def _redis(broker: RedisBroker, queues: list[str]) -> dict[tuple[str, str], int]:
    # Dramatiq keeps each queue as a list of message ids at <namespace>:<queue name>.
    with broker.client.pipeline(transaction=False) as pipe:
        for queue in queues:
            pipe.llen(f"{broker.namespace}:{queue}")
            pipe.llen(f"{broker.namespace}:{dq_name(queue)}")
        counts = pipe.execute()
    return {
        (queue, state): counts[2 * i + j]
        for i, queue in enumerate(queues)
        for j, state in enumerate(("ready", "delayed"))
    }


def _rabbitmq(broker: RabbitmqBroker, queues: list[str]) -> dict[tuple[str, str], int]:
    import pika

    result = {}
    for queue in queues:
        for state, name in (("ready", queue), ("delayed", dq_name(queue))):
            channel = broker.connection.channel()
            try:
                declared = channel.queue_declare(queue=name, passive=True)
                result[(queue, state)] = declared.method.message_count
            except pika.exceptions.ChannelClosedByBroker:
                result[(queue, state)] = 0  # never declared: nothing has been sent to it
            finally:
                if channel.is_open:
                    channel.close()
    return result
