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
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class SessionStore:
    """Session URIs of resumable uploads in progress, by job id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.session"

    def load(self, job_id: str) -> str | None:
        """The saved session URI of this job's upload, if any."""
        try:
            return self._path(job_id).read_text().strip() or None
        except FileNotFoundError:
            return None

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
