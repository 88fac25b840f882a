"""Files written atomically, and where results are kept (a folder checked usable).

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

from .errors import ConfigurationError
from .hints import Choice, Environment, Hint, Spelled

CACHE_ENV = "COMPLIANCE_FRAMES_CACHE"
_CHECKED: set[Path] = set()
"""Cache folders found usable in this process (checked once: the check writes a file)."""


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
    """Where downloaded results and upload sessions are kept, checked usable.

    ``override``, else ``$COMPLIANCE_FRAMES_CACHE``, else ``$XDG_CACHE_HOME/compliance-frames``
    (``~/.cache/compliance-frames``). See :func:`usable_folder` for the check.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp()) / "cache"
        >>> cache_dir(folder) == folder, folder.is_dir()
        (True, True)
    """
    if override is not None:
        folder = Path(override)
    elif os.environ.get(CACHE_ENV):
        folder = Path(os.environ[CACHE_ENV])
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        folder = Path(base) / "compliance-frames"
    return usable_folder(folder)


def usable_folder(folder: Path) -> Path:
    """``folder``, created if missing, once it is known to be a folder this process can
    write to (a temporary file is created in it and removed); else a
    :class:`ConfigurationError` naming it and saying how to choose another.

    Example:
        >>> import tempfile, pathlib
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "a-file"
        >>> _ = file.write_bytes(b"")
        >>> usable_folder(file)
        Traceback (most recent call last):
        compliance_frames.errors.ConfigurationError: The cache folder ... is a file, not a folder...
    """
    if folder in _CHECKED:
        return folder
    if folder.exists() and not folder.is_dir():
        raise _unusable(folder, "is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unusable(
            folder, f"cannot be created ({exc.strerror or type(exc).__name__})"
        ) from None
    try:
        handle, probe = tempfile.mkstemp(prefix=".write-check-", dir=folder)
        os.close(handle)
        os.remove(probe)
    except OSError as exc:
        raise _unusable(folder, f"is not writable ({exc.strerror or type(exc).__name__})") from None
    _CHECKED.add(folder)
    return folder


def _unusable(folder: Path, reason: str) -> ConfigurationError:
    return ConfigurationError(
        f"The cache folder {folder} {reason}: compliance-frames keeps downloaded results and "
        "its records of jobs there.",
        hint=Hint(
            Choice(
                "choose another folder with ",
                Spelled("Client(results_dir=...) or ", ""),
                "the ",
                Environment(CACHE_ENV),
                " environment variable",
            )
        ),
    )
