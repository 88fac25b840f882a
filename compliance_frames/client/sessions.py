"""Resumable upload sessions kept on disk, so that a restarted kernel resumes an upload
instead of starting over. A session URI grants upload access: files are private (0600).

Example:
    >>> import tempfile, pathlib
    >>> store = SessionStore(pathlib.Path(tempfile.mkdtemp()))
    >>> store.save("1", "https://storage/u?upload_id=x")
    >>> store.load("1")
    'https://storage/u?upload_id=x'
    >>> store.forget("1"); store.load("1") is None
    True

Only a job id names a file here (see :func:`~compliance_frames.client.ledger.job_file`),
and a saved URI that is not an absolute http(s) URL is not used.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from .ledger import job_file
from .transport import url_problem

log = logging.getLogger("compliance_frames")


class SessionStore:
    """Session URIs of resumable uploads in progress, by job id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, job_id: str) -> Path:
        return job_file(self.folder, job_id, ".session")

    def load(self, job_id: str) -> str | None:
        """The saved session URI of this job's upload, if any (and usable)."""
        path = self._path(job_id)
        try:
            uri = path.read_text().strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        problem = url_problem(uri) if uri else None
        if problem is not None:  # the URI grants upload access: not shown
            log.warning("ignored the saved upload session of job %s: it %s", job_id, problem)
            return None
        return uri or None

    def save(self, job_id: str, uri: str) -> None:
        """Remember the session URI of this job's upload."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(self._path(job_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w") as sink:
            sink.write(uri)

    def forget(self, job_id: str) -> None:
        """Drop the session URI once the upload is complete."""
        with contextlib.suppress(FileNotFoundError):
            self._path(job_id).unlink()
