"""A pytest plugin for the benchmarks: when each notebook's first cell starts and its last cell ends.

Loaded with `-p nbval_timer` (benchmarks/ on PYTHONPATH); writes JSON to the file named by
BENCH_OUT: {"start": first test start, "end": last test end, "notebooks": {path: [start, end]}},
times from time.time().
"""
import json
import os
import time

_times = {}
_span = {}


def pytest_runtest_logstart(nodeid, location):
    now = time.time()
    _span.setdefault("start", now)
    _times.setdefault(nodeid.split("::")[0], [now, now])


def pytest_runtest_logfinish(nodeid, location):
    now = time.time()
    _span["end"] = now
    _times[nodeid.split("::")[0]][1] = now  # a notebook's kernel stops in its last cell's teardown


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "w") as f:
            json.dump({**_span, "notebooks": _times, "exitstatus": int(exitstatus)}, f)
