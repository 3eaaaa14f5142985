"""Benchmarks, run from the project root as modules: `.venv/bin/python -m bench.desk` and so on.

Each compares the project with the limit of what it is built on (the bare library, the peer
tool) in the same run, so that a busy shared machine slows both sides alike, and prints a
table; nothing asserts on timing. docs/PERFORMANCE.md says how to run each and what they found.
"""
