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

Only a job id (1-19 digits) names a file here: anything else (``../x``, from a hostile
answer or a tampered cache) is refused with :class:`~compliance_frames.errors.InputError`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import atomic_write
from ..hints import Choice, Command, Hint
from ..models import JobType, is_job_id, shown

_DIGEST = re.compile(r"[0-9a-f]{8,128}")


def job_file(folder: Path, job_id: str, suffix: str) -> Path:
    """The file of ``job_id`` in ``folder``: ``folder/{job_id}{suffix}``, for a job id
    only; anything else raises :class:`InputError` (it never becomes a path).

    Example:
        >>> job_file(Path("jobs"), "1446017776678801409", ".json").as_posix()
        'jobs/1446017776678801409.json'
        >>> job_file(Path("jobs"), "../../etc/x", ".json")
        Traceback (most recent call last):
        ...
        compliance_frames.errors.InputError: Refusing "../../etc/x" as a job id: ...
    """
    if not is_job_id(job_id):
        raise InputError(
            f"Refusing {shown(job_id, 40)} as a job id: ids are 1 to 19 digits, and nothing "
            f"else names a file in {folder}. It came from a faulty answer or a damaged cache.",
            hint=Hint(
                Choice("get the job again with ", Command("get", "get_job(id)", "ID")),
                Choice("list your jobs with ", Command("list", "list_jobs()")),
            ),
        )
    return folder / f"{job_id}{suffix}"


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

    def count(self, job_id: str) -> int | None:
        """How many IDs were recorded for ``job_id``, if any."""
        value = self._read(job_id).get("count")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

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
        if job_type not in {kind.value for kind in JobType} or not _DIGEST.fullmatch(digest):
            raise InputError(
                f"Refusing {shown(job_type, 20)} and {shown(digest, 40)} as a job type and a "
                "digest of IDs: types are 'tweets' or 'users', digests hexadecimal."
            )
        return self.folder / "aliases" / f"{job_type}-{digest}.json"

    def _read(self, job_id: str) -> dict[str, Any]:
        path = job_file(self.folder, job_id, ".json")
        try:
            record = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _write(self, job_id: str, record: dict[str, Any]) -> None:
        with atomic_write(job_file(self.folder, job_id, ".json")) as sink:
            sink.write(json.dumps(record).encode())
