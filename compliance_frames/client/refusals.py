"""The results of a run re-used for the same IDs without those X refused.

When X refuses some IDs (``{"id": ..., "error": "invalid_id"}``), the researcher drops
those rows and checks again. The results already hold the answer for every other ID,
so the frames layer, which finds the refusals as it reads the results, has the run
recorded as answering for "these IDs minus the refused ones" too (by the digest of
that set, see :meth:`Client.cover_refused`), and the rerun reads them from disk: no
new job, no wait.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ids.txt"
    >>> _ = path.write_bytes(b"7\\n9\\n")
    >>> digest, count = remaining_digest(path, np.array([9], dtype=np.uint64))
    >>> count, len(digest)
    (1, 64)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..idlines import scan_ids

_MARK = b'"error"'


def remaining_digest(canonical: Path, refused: npt.NDArray[np.uint64]) -> tuple[str, int]:
    """The digest (see :meth:`IdSet.digest_of`) and count of a canonical ID file's IDs
    without ``refused``."""
    from .idsets import IdSet

    with open(canonical, "rb") as source:
        chunks = list(scan_ids(source))
    values = np.concatenate(chunks) if chunks else np.empty(0, np.uint64)
    kept = values[~np.isin(values, refused)]
    return IdSet.digest_of(kept), int(kept.size)
