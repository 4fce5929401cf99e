"""Benchmarks: `python tests/bench/run.py` (or `make bench`), never part of the normal test run."""
