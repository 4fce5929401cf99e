"""The production sweeper: sends reconcile_jobs for the workers to run, every so often.

With a broker the web processes run no embedded worker and so no sweep; one of these per
deployment re-drives stuck jobs and sends the reminders that consent is ending. Two are
harmless: reconcile and the reminders are idempotent.
"""

import signal
import threading
from typing import Any

import dramatiq
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from dramatiq.brokers.stub import StubBroker


class Command(BaseCommand):
    help = "Send reconcile_jobs to the workers every RECONCILE_EVERY_SECONDS until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="interval between sweeps (default: RECONCILE_EVERY_SECONDS)",
        )
        parser.add_argument("--once", action="store_true", help="send one sweep and exit")

    def handle(self, *args: Any, every: float | None, once: bool, **options: Any) -> None:
        from avatars.tasks import reconcile_jobs

        if isinstance(dramatiq.get_broker(), StubBroker):
            raise CommandError(
                "There is no BROKER_URL: the web process's embedded worker sweeps by itself. "
                "Set BROKER_URL to the workers' broker to run the sweeper."
            )
        interval = every or settings.RECONCILE_EVERY_SECONDS
        stopping = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stopping.set())
        while True:
            reconcile_jobs.send()
            self.stdout.write(f"Sent reconcile_jobs to queue {reconcile_jobs.queue_name}.")
            if once or stopping.wait(interval):
                return
