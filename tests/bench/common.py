"""The figures every benchmark hands to `run.py` for the summary table at the end.

A benchmark runs in a process of its own; it appends one JSON line per figure to the file
named by BENCH_SUMMARY (nothing, when run alone), and run.py prints them all at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def load() -> str:
    """The load average: other work on the machine skews every timing."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def record(name: str, figure: str, baseline: str, ratio: str) -> None:
    path = os.environ.get("BENCH_SUMMARY")
    if path:
        line = {"name": name, "figure": figure, "baseline": baseline, "ratio": ratio}
        with open(path, "a") as out:
            out.write(json.dumps(line) + "\n")


def print_table(path: Path) -> None:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        return
    width = max(len(line["name"]) for line in lines)
    figure = max(len(line["figure"]) for line in lines)
    print("\nSummary (each figure beside its baseline, measured in the same run)")
    print(f"   {'figure':{width}}  {'value':{figure}}  {'ratio':>8}  baseline")
    for line in lines:
        print(
            f"   {line['name']:{width}}  {line['figure']:{figure}}  {line['ratio']:>8}  "
            f"{line['baseline']}"
        )


# Long and varied enough for the production check; it signs nothing that outlives the run.
SECRET_KEY = "benchmark-only-0123456789-abcdefghijklmnopqrstuvwxyz-not-secret"


def environment(**overrides: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) for a benchmark, plain HTTP on 127.0.0.1."""
    return {
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "MEDIA_STORAGE": "local",
        "BROKER_URL": "",
        # A log line per request or job to the terminal would measure the terminal.
        "LOG_LEVEL": "WARNING",
        **overrides,
    }
