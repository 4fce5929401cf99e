"""Pointing the app's actors at another Dramatiq broker for one test."""

import contextlib
from collections.abc import Iterator

import dramatiq


@contextlib.contextmanager
def using_broker(broker: dramatiq.Broker) -> Iterator[dramatiq.Broker]:
    import avatars.tasks  # noqa: F401  (declares the actors on the broker they are moved from)

    previous = dramatiq.get_broker()
    for name in previous.get_declared_actors():
        actor = previous.get_actor(name)
        actor.broker = broker
        broker.declare_actor(actor)
    dramatiq.set_broker(broker)
    try:
        yield broker
    finally:
        for name in broker.get_declared_actors():
            broker.get_actor(name).broker = previous
        dramatiq.set_broker(previous)
        broker.close()
