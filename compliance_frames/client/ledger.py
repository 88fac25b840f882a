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
"""

from __future__ import annotations

import json
from pathlib import Path

from ..files import atomic_write


class Ledger:
    """Digests of the IDs of jobs, by job id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def record(self, job_id: str, digest: str, count: int) -> None:
        """Remember that ``job_id`` holds the IDs with this digest."""
        with atomic_write(self.folder / f"{job_id}.json") as sink:
            sink.write(json.dumps({"digest": digest, "count": count}).encode())

    def digest(self, job_id: str) -> str | None:
        """The digest recorded for ``job_id``, if any."""
        try:
            value = json.loads((self.folder / f"{job_id}.json").read_text())["digest"]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None
        return str(value)
