"""Which worker processes are alive, seen from any process through the database."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """One Dramatiq worker process (or embedded worker) and when it last said it was alive."""

    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list, help_text="The queues this process consumes.")
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("host", "pid", name="worker_heartbeat_process"),
        ]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid} {','.join(self.queues)}"
