"""How long past jobs took, per app and job type: what polling predicts a new job by.

Status requests are billed (2026), and a job of hours polled on today's schedule costs
hundreds of them. A job of the same app and type with a similar number of IDs takes
about as long as the last ones did, so :meth:`Client.wait` keeps, in the cache folder,
one JSON line per job it saw complete (``history/<app>-<type>.jsonl``: its id, how many
IDs, how many seconds from its creation to its completion, when), and asks
:meth:`~compliance_frames.client.polling.Forecast.from_history` when a new one will
finish (see :mod:`~compliance_frames.client.polling`).

The app is named by a digest of the API root and of a hash of the bearer token
(:func:`app_key`): never the token itself. The file keeps the latest
:data:`KEEP` lines (it is cut back once it holds twice as many).

Example:
    >>> import tempfile, pathlib
    >>> history = JobHistory(pathlib.Path(tempfile.mkdtemp()), app_key("https://api.x.com", "t"))
    >>> history.record("tweets", "1446017776678801409", n_ids=1000, seconds=600.0)
    >>> history.past("tweets"), history.past("users")
    ([(1000, 600.0)], [])
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from ..files import atomic_write

log = logging.getLogger("compliance_frames")

KEEP = 100
"""How many past jobs are kept per app and type."""


def app_key(base_url: str, token: str | None) -> str:
    """A name for an app at an API root: 16 hex digits of a digest of the root and of a
    hash of the token (None: a transport that holds its own credential). The token
    cannot be read back from it.

    Example:
        >>> key = app_key("https://api.x.com", "secret-token")
        >>> len(key), "secret" in key, key == app_key("https://api.x.com", "another")
        (16, False, False)
    """
    hashed = hashlib.sha256(token.encode()).hexdigest() if token else ""
    return hashlib.sha256(f"{base_url}\n{hashed}".encode()).hexdigest()[:16]


class JobHistory:
    """The durations of past jobs of one app, by job type, in ``folder``."""

    def __init__(self, folder: Path, app: str) -> None:
        self.folder = folder
        self.app = app

    def path(self, job_type: str) -> Path:
        """The file of ``job_type`` (``tweets`` or ``users``)."""
        if job_type not in ("tweets", "users"):
            raise ValueError(f"not a job type: {job_type!r}")
        return self.folder / f"{self.app}-{job_type}.jsonl"

    def record(
        self, job_type: str, job_id: str, *, n_ids: int, seconds: float, at: datetime | None = None
    ) -> None:
        """Add a job that took ``seconds`` from creation to completion for ``n_ids`` IDs.
        Best effort: a cache that cannot be written loses the line, not the run."""
        line = {
            "job": job_id,
            "ids": int(n_ids),
            "seconds": round(float(seconds), 3),
            "at": (at or datetime.now(timezone.utc)).isoformat(),
        }
        path = self.path(job_type)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as sink:
                sink.write(json.dumps(line) + "\n")
            lines = path.read_bytes().splitlines(keepends=True)
            if len(lines) > 2 * KEEP:
                with atomic_write(path) as whole:
                    whole.write(b"".join(lines[-KEEP:]))
        except OSError as exc:
            log.debug("could not keep the duration of job %s: %s", job_id, exc)

    def past(self, job_type: str) -> list[tuple[int, float]]:
        """``(IDs, seconds)`` of the past jobs of ``job_type``, oldest first (lines that
        cannot be read are skipped)."""
        try:
            text = self.path(job_type).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        past = []
        for line in text.splitlines()[-KEEP:]:
            with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
                entry = json.loads(line)
                n_ids, seconds = int(entry["ids"]), float(entry["seconds"])
                if n_ids > 0 and 0 < seconds < 1e8:  # a year and more: not a duration
                    past.append((n_ids, seconds))
        return past
