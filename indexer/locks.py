"""Exclusive locks on a file (``flock``): one holder per ``MPSEARCH_HOME`` for a role (the
applier, the follower).

Guarantees: at most one open :class:`FileLock` of a path holds it at a time, across
processes; taking it never blocks; the kernel releases it when the holder closes it or
its process dies, SIGKILL included, so another process can take over at once.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO


class FileLock:
    """A non-blocking exclusive lock on ``path`` (created if missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if this instance holds it now."""
        if self._fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("ab")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # releases the flock
            self._fh = None
