"""``python -m bench``: every benchmark, the report printed and written to docs/benchmarks.md (see bench/run.py)."""

from bench.run import main

raise SystemExit(main())
