"""Re-drive render jobs whose state has not advanced in time (the database is the truth)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from avatars import render


class Command(BaseCommand):
    help = "Send stuck render jobs on their way again; with --every, keep doing it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="repeat forever at this interval"
        )

    def handle(self, *args: Any, every: float | None = None, **options: Any) -> None:
        while True:
            counts = render.reconcile()
            moved = {status: count for status, count in counts.items() if count}
            self.stdout.write(
                "Re-driven: " + ", ".join(f"{n} {s}" for s, n in moved.items())
                if moved
                else "Nothing is stuck."
            )
            if not every:
                return
            time.sleep(every)
