"""Dramatiq actors: thin, each loads nothing but a job id and calls avatars.render.

Every actor is safe to run twice; the queues are separate so a flood of downloads never
starves submits.
"""

import dramatiq

from avatars import consent, render
from avatars.campaigns import staging
from avatars.observability import provider_calls
from avatars.outgoing import delivery


@dramatiq.actor(queue_name="submits", max_retries=3, time_limit=120_000)
def submit_job(job_id: int) -> None:
    render.submit(job_id)


@dramatiq.actor(queue_name="polls", max_retries=3, time_limit=60_000)
def poll_job(job_id: int, reschedule: bool = True) -> None:
    render.poll(job_id, reschedule=reschedule)


@dramatiq.actor(queue_name="stores", max_retries=3, time_limit=60 * 60_000)
def store_job(job_id: int) -> None:
    render.store(job_id)


@dramatiq.actor(queue_name="polls", max_retries=0, time_limit=120_000)
def reconcile_jobs() -> None:
    render.reconcile()
    provider_calls.prune()
    # The sweep's period is short enough for reminders counted in days; each is sent once.
    consent.send_reminders()
    staging.sweep()
    delivery.sweep()


# Short network calls like polls, on their queue; retries are delivery's own (backoff).
@dramatiq.actor(queue_name="polls", max_retries=0, time_limit=60_000)
def deliver_webhook(message_id: int) -> None:
    delivery.deliver(message_id)
