"""Files written atomically, and where results are kept.

Example:
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as sink:
    ...     _ = sink.write(b"done")
    >>> target.read_bytes()
    b'done'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CACHE_ENV = "COMPLIANCE_FRAMES_CACHE"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()
"""New files get the mode any program's would (the umask's), not mkstemp's private 0600."""


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Write ``path`` all at once: a temporary file beside it, renamed over it on success.

    A failure leaves ``path`` as it was (absent, or the previous version).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    try:
        os.chmod(temporary, _MODE)
        with os.fdopen(handle, "wb") as sink:
            yield sink
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Where downloaded results and upload sessions are kept.

    ``override``, else ``$COMPLIANCE_FRAMES_CACHE``, else ``$XDG_CACHE_HOME/compliance-frames``
    (``~/.cache/compliance-frames``).
    """
    if override is not None:
        folder = Path(override)
    elif os.environ.get(CACHE_ENV):
        folder = Path(os.environ[CACHE_ENV])
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        folder = Path(base) / "compliance-frames"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
