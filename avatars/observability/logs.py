"""Log records as one JSON object per line, each carrying the job it concerns."""

from __future__ import annotations

import datetime
import json
import logging

from .context import current_job_id
from .redact import redact


class JobIdFilter(logging.Filter):
    """Adds `job_id` from context to records that do not name a job themselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "job_id", None) is None:
            record.job_id = current_job_id()
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, and job_id, exception and status_code when there are some.

    Other `extra` fields are left out on purpose: Django passes the request, whose repr holds
    the URL and its secrets.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        job_id = getattr(record, "job_id", None)
        if job_id is not None:
            line["job_id"] = job_id
        status_code = getattr(record, "status_code", None)
        if status_code is not None:
            line["status_code"] = status_code
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)
