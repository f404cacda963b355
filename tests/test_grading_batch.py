"""A batch grades several submissions at once, but its gradebook sessions take turns: one process at a time.

(The bad-submission matrix of test_instructor_workflow.py grades with two runs per core, the default.)
"""
import os
import time

import pytest
from nbgrader.api import Gradebook

from grading.gradebook import opened, serialise_sessions

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="batches run nbgrader in forks")


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    """One gradebook for the module (making one costs seconds)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('gradebook') / 'gradebook.db'}"
    with opened(url) as gb:
        gb.update_or_create_student("alice")
    return url


@pytest.fixture
def lock(tmp_path):
    serialise_sessions(tmp_path / "gradebook.lock")
    yield tmp_path / "gradebook.lock"
    serialise_sessions(None)


def child_session_times(db_url, hold):
    """Fork a process that opens and closes a gradebook session; return (when it got in, when it ended)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            with opened(db_url):
                began = time.monotonic()
                time.sleep(hold)
            os.write(write, f"{began} {time.monotonic()}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as f:
        began, ended = map(float, f.read().split())
    return began, ended


def test_a_session_waits_for_the_one_another_process_holds(db_url, lock):
    read, write = os.pipe()
    holder = os.fork()
    if holder == 0:  # holds a session for 1.5 s
        try:
            os.close(read)
            with opened(db_url):
                os.write(write, str(time.monotonic()).encode())
                time.sleep(1.5)
                released = time.monotonic()
            os.write(write, f" {released}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        held = float(f.read(20).split()[0])
        began, _ = child_session_times(db_url, hold=0)
        released = float(f.read().split()[-1])
    os.waitpid(holder, 0)
    assert began >= released, f"a session began {released - began:.2f} s before the other one ended"
    assert began - held >= 1.4


def test_sessions_nest_in_one_process_and_release_the_lock(db_url, lock):
    with opened(db_url):
        with opened(db_url) as inner:  # nbgrader may open one inside another: no deadlock
            inner.update_or_create_student("bob")
    began, ended = child_session_times(db_url, hold=0)  # the lock is free again
    gb = Gradebook(db_url)
    try:
        assert gb.find_student("bob").id == "bob"
    finally:
        gb.close()


def test_without_a_lock_sessions_do_not_wait(db_url):
    serialise_sessions(None)
    with opened(db_url):
        began, _ = child_session_times(db_url, hold=0)
    assert began > 0


def good_metadata():
    return {"grade": True, "grade_id": "test_x", "locked": True, "points": 2, "schema_version": 3,
            "solution": False, "task": False}


@pytest.mark.parametrize("change", [{}, {"points": "two"}, {"grade_id": 7}, {"extra": 1}, {"locked": None}],
                         ids=["valid", "points-text", "grade-id-number", "extra-key", "locked-none"])
def test_the_schema_checked_once_gives_jsonschemas_verdicts(change):
    """The batch's stand-in for jsonschema in nbgrader's metadata check (its schema checked once per batch)
    accepts and refuses exactly what jsonschema.validate does, with the same message."""
    import jsonschema
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    from grading.run import _SchemaCheckedOnce

    schema, instance = MetadataValidatorV3().schema, {**good_metadata(), **change}

    def verdict(validate):
        try:
            validate(instance, schema)
            return None
        except jsonschema.ValidationError as error:
            return error.message

    once = _SchemaCheckedOnce()
    want = verdict(jsonschema.validate)
    assert verdict(once.validate) == want and verdict(once.validate) == want  # the second call: cached
    assert (want is None) == (change == {}), f"the case {change} does not test what it says: {want}"
