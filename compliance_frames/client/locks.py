"""One job per set of IDs per machine: an exclusive lock around each run.

Runs that share a cache folder lock a file named after the job type and the digest of
the IDs (``<cache>/locks/tweets-<digest>.lock``) while they look for or create the job
and run it. A second process or thread running the same IDs waits for the first, then
finds its job (and its results on disk) instead of creating another. Different IDs, or
different types, never wait for each other.

The lock is ``fcntl.flock``: it is released on every exit path, including a crash (the
system releases it with the process). It holds for this machine only: a folder shared
over the network (NFS, SMB, a synced folder) may not honour it between machines, and
on systems without ``fcntl`` (Windows) runs are not serialised. Lock files are left in
place (removing one while another process waits on it would break the lock); they are
empty.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with exclusive(folder, "tweets-ab12", what="these IDs"):
    ...     sorted(path.name for path in folder.iterdir())
    ['tweets-ab12.lock']
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import WaitTimeoutError
from .guards import remaining

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("compliance_frames")

_FIRST_POLL = 0.05
_MAX_POLL = 1.0


@contextlib.contextmanager
def exclusive(folder: Path, name: str, *, what: str) -> Iterator[None]:
    """Hold the lock ``folder/<name>.lock`` within the block, waiting for it if another
    process or thread holds it (until the current run's deadline: then
    :class:`WaitTimeoutError`). ``what`` names the work, for messages."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(handle, what)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _acquire(handle: int, what: str) -> None:
    """Take the lock, polling (with real sleeps: this waits for another process, not for
    X) until it is free or the run's deadline passes."""
    started = time.monotonic()
    poll = _FIRST_POLL
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if poll == _FIRST_POLL:
            log.info("another run on this machine is working on %s; waiting for it to finish", what)
        left = remaining()
        if left is not None and left <= 0:
            waited = time.monotonic() - started
            raise WaitTimeoutError(
                f"Another run on this machine was still working on {what} when the timeout "
                f"ran out (waited {waited:.0f} s). Let it finish, or run again later: the job "
                "it runs is found again.",
                job=None,
                waited=waited,
            )
        time.sleep(poll if left is None else min(poll, left))
        poll = min(poll * 2, _MAX_POLL)
