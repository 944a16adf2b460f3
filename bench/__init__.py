"""Benchmarks of ens (``make bench``): ratios measured side by side in one run, never timed tests.

See ``bench/run.py`` for the sections and ``docs/benchmarks.md`` for the latest figures.
"""
