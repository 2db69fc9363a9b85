"""pytest must not collect the benchmarks (they run through ``perf/run.py``)."""

collect_ignore_glob = ["*"]
