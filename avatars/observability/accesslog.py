"""Gunicorn's logger with URL secrets kept out of the access log, and JSON lines on request."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from .logs import JsonFormatter
from .redact import redact


class AccessLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if os.environ.get("LOG_FORMAT", "json" if _debug_off() else "plain") == "json":
            formatter = JsonFormatter()
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(formatter)

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact(environ.get("PATH_INFO", ""))
        # Tokens live in paths, signatures in query strings, and both can come back in a
        # Referer: none of them is ever printed.
        atoms.update(U=path, r=f"{atoms['m']} {path} {atoms['H']}", q="", f="-")
        atoms["{referer}i"] = "-"
        return atoms


def _debug_off() -> bool:
    return os.environ.get("DEBUG", "").lower() in ("0", "false", "no", "off")
