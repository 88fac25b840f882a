"""Which IDs each job was given, kept on this machine.

A default job name holds the digest of its IDs, so re-attaching to it is always
right. A name chosen by the user does not: re-using "test" for another dataset must
not hand back the old dataset's results. So run_job records the digest of the IDs of
every job it creates or uploads to, and re-attaches to a user-named job only when the
record says it holds the same IDs.

Example:
    >>> import tempfile, pathlib
    >>> ledger = Ledger(pathlib.Path(tempfile.mkdtemp()))
    >>> ledger.record("1446017776678801409", "ab12", 3)
    >>> ledger.digest("1446017776678801409"), ledger.digest("1")
    ('ab12', None)
    >>> ledger.mark_cancelled("1446017776678801409")
    >>> ledger.cancelled("1446017776678801409"), ledger.digest("1446017776678801409")
    (True, 'ab12')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..files import atomic_write


class Ledger:
    """Digests of the IDs of jobs, by job id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def record(self, job_id: str, digest: str, count: int) -> None:
        """Remember that ``job_id`` holds the IDs with this digest."""
        self._write(job_id, {**self._read(job_id), "digest": digest, "count": count})

    def mark_cancelled(self, job_id: str) -> None:
        """Remember that this machine cancelled ``job_id``: a rerun starts a new job."""
        self._write(job_id, {**self._read(job_id), "cancelled": True})

    def knows(self, job_id: str) -> bool:
        """Whether this machine created, uploaded to or cancelled ``job_id``."""
        return bool(self._read(job_id))

    def digest(self, job_id: str) -> str | None:
        """The digest recorded for ``job_id``, if any."""
        value = self._read(job_id).get("digest")
        return None if value is None else str(value)

    def cancelled(self, job_id: str) -> bool:
        """Whether this machine cancelled ``job_id``."""
        return self._read(job_id).get("cancelled") is True

    def alias(self, job_type: str, digest: str, record: dict[str, Any]) -> None:
        """Remember results that answer for the IDs with ``digest`` too (see
        :mod:`~compliance_frames.client.refusals`)."""
        with atomic_write(self._alias_path(job_type, digest)) as sink:
            sink.write(json.dumps(record).encode())

    def aliased(self, job_type: str, digest: str) -> dict[str, Any] | None:
        """What :meth:`alias` recorded for these IDs, if anything."""
        try:
            record = json.loads(self._alias_path(job_type, digest).read_text())
        except (FileNotFoundError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def _alias_path(self, job_type: str, digest: str) -> Path:
        return self.folder / "aliases" / f"{job_type}-{digest}.json"

    def _read(self, job_id: str) -> dict[str, Any]:
        try:
            record = json.loads((self.folder / f"{job_id}.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _write(self, job_id: str, record: dict[str, Any]) -> None:
        with atomic_write(self.folder / f"{job_id}.json") as sink:
            sink.write(json.dumps(record).encode())
