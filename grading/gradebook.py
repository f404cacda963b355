"""The gradebook, opened for one short piece of work and closed completely afterwards.

While a batch grades several submissions at once (one process per core), every gradebook session of
every process of the batch holds one exclusive lock (`serialise_sessions`): the gradebook is written
by one process at a time, never by two at once.
"""
import fcntl
import os
from contextlib import contextmanager

from nbgrader import api
from nbgrader.api import Gradebook

_LOCK = {"path": None, "fd": None, "depth": 0}  # one lock per process; sessions may nest


def _acquire():
    if _LOCK["path"] is None:
        return
    if _LOCK["depth"] == 0:
        fd = os.open(_LOCK["path"], os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        _LOCK["fd"] = fd
    _LOCK["depth"] += 1


def _release():
    if _LOCK["depth"] == 0:
        return
    _LOCK["depth"] -= 1
    if _LOCK["depth"] == 0 and _LOCK["fd"] is not None:
        fd, _LOCK["fd"] = _LOCK["fd"], None
        os.close(fd)  # closing the only descriptor releases the lock


def serialise_sessions(lock_path):
    """From now on, each nbgrader Gradebook session in this process and in its forks holds an exclusive
    lock on lock_path, from its creation to its close (nbgrader opens one per step, never across the
    run of a notebook). Call it with no session open: a fork must not inherit a held lock."""
    if _LOCK["depth"]:
        raise RuntimeError("a gradebook session is open")
    _LOCK["path"] = None if lock_path is None else str(lock_path)  # None: no lock from now on
    if getattr(api.Gradebook, "_grading_serialised", False):
        return
    init, close = api.Gradebook.__init__, api.Gradebook.close

    def locked_init(self, *args, **kwargs):
        _acquire()
        try:
            init(self, *args, **kwargs)
        except BaseException:
            _release()
            raise
        self._grading_holds_lock = True

    def locked_close(self):
        try:
            close(self)
        finally:
            if self.__dict__.pop("_grading_holds_lock", False):
                _release()

    api.Gradebook.__init__, api.Gradebook.close = locked_init, locked_close
    api.Gradebook._grading_serialised = True


@contextmanager
def opened(db_url):
    """nbgrader's Gradebook, with its engine disposed on exit: no SQLite connection stays open
    in this process, which forks the grading runs (a connection must not cross a fork)."""
    gb = Gradebook(db_url)
    try:
        yield gb
    finally:
        gb.close()
        gb.engine.dispose()
