"""The gradebook, opened for one short piece of work and closed completely afterwards."""
from contextlib import contextmanager

from nbgrader.api import Gradebook


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
