"""IDs that X refused (``{"id": ..., "error": "invalid_id"}``), and the results of a run
re-used for the same IDs without them.

When X refuses some IDs, the researcher drops those rows and checks again. The results
already hold the answer for every other ID, so the run records that they also answer
for "these IDs minus the refused ones" (by the digest of that set), and the rerun reads
them from disk: no new job, no wait.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.ndjson"
    >>> _ = path.write_bytes(b'{"id":"7","action":"delete","reason":"deleted"}\\n'
    ...                      b'{"id":"9223372036854775808","error":"invalid_id"}\\n')
    >>> refused_ids([path]).tolist()
    [9223372036854775808]
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..idlines import MAX_DIGITS, scan_ids

_MARK = b'"error"'


def refused_ids(paths: Sequence[Path]) -> npt.NDArray[np.uint64]:
    """The decimal IDs that the results files answer with an error, ascending, unique.

    Only lines holding ``"error"`` are parsed (found with a byte search: a file without
    refusals costs one scan at memory speed).
    """
    found: list[int] = []
    for path in paths:
        if not path.stat().st_size:
            continue
        with (
            open(path, "rb") as source,
            mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            at = data.find(_MARK)
            while at != -1:
                start = data.rfind(b"\n", 0, at) + 1
                end = data.find(b"\n", at)
                end = len(data) if end == -1 else end
                found.extend(_refused(data[start:end]))
                at = data.find(_MARK, end)
    return np.unique(np.array(found, dtype=np.uint64))


def _refused(line: bytes) -> list[int]:
    try:
        record = json.loads(line)
    except ValueError:
        return []
    value = record.get("id") if isinstance(record, dict) and record.get("error") else None
    text = str(value) if value is not None else ""
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return [int(text)]
    return []


def remaining_digest(canonical: Path, refused: npt.NDArray[np.uint64]) -> tuple[str, int]:
    """The digest (see :meth:`IdSet.digest_of`) and count of a canonical ID file's IDs
    without ``refused``."""
    from .idsets import IdSet

    with open(canonical, "rb") as source:
        chunks = list(scan_ids(source))
    values = np.concatenate(chunks) if chunks else np.empty(0, np.uint64)
    kept = values[~np.isin(values, refused)]
    return IdSet.digest_of(kept), int(kept.size)
