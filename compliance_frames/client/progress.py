"""Progress that suits where it is shown, chosen once per bar (see :func:`display_kind`).

- In a notebook (a running IPython kernel) with ipywidgets installed (the ``notebook``
  extra): tqdm's widget bar. Without ipywidgets, the plain lines below: a notebook's
  output is no terminal, and text bars of two jobs at once would garble it.
- On a terminal (standard error is a tty): text bars, each on a line of its own handed
  out by :class:`Slots`, so that two jobs at once are two stable lines; when a bar ends,
  one line says how its phase ended.
- Anywhere else (piped, logged, CI, a file): plain lines with no carriage return nor
  escape code, from :class:`Lines`: one when a transfer starts and one when it ends;
  while waiting, the job's status at most once a minute (of :mod:`.clock` time), and
  where the wait ended.

``progress=False`` shows nothing; so does ``TQDM_DISABLE=1``. ``TERM=dumb`` gets plain
lines. ``COMPLIANCE_FRAMES_PROGRESS`` (``plain``, ``terminal``, ``notebook`` or ``off``)
overrides the choice, e.g. for plain lines in a saved notebook. Nothing here is
coloured, so ``NO_COLOR`` is honoured as it is. Bars and lines name jobs by their name
or id only: no token, no signed URL.

Example:
    >>> bar = byte_bar(100, "Uploading", enabled=False)
    >>> bar.update(10)
    >>> bar.close()
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import threading
import time
from collections.abc import Mapping
from functools import cache
from typing import IO, Any, Literal

from tqdm import tqdm as text_tqdm

from . import clock

Kind = Literal["off", "notebook", "terminal", "plain"]

PREFIX = "compliance-frames: "
STATUS_EVERY = 60.0
"""Seconds between two status lines of one wait, in plain mode."""

_WRITE = threading.Lock()
_FALSE = ("", "0", "false", "no", "off")
_KINDS = ("off", "notebook", "terminal", "plain")


def display_kind(stream: IO[str] | None = None) -> Kind:
    """Where progress written to ``stream`` (default: standard error) would be seen.

    Example:
        >>> import io
        >>> display_kind(io.StringIO())
        'plain'
    """
    stream = sys.stderr if stream is None else stream
    if stream is None or os.environ.get("TQDM_DISABLE", "").strip().lower() not in _FALSE:
        return "off"
    chosen = os.environ.get("COMPLIANCE_FRAMES_PROGRESS", "").strip().lower()
    if chosen in _KINDS:
        return chosen  # type: ignore[return-value]  # one of Kind's values
    if _in_notebook():
        return "notebook" if importlib.util.find_spec("ipywidgets") is not None else "plain"
    if _isatty(stream) and os.environ.get("TERM") != "dumb":
        return "terminal"
    return "plain"


def _in_notebook() -> bool:
    """True inside a running IPython kernel (Jupyter, VS Code, Colab), not a terminal IPython."""
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return getattr(shell, "kernel", None) is not None


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


class Slots:
    """The lines of the terminal bars alive at once: the lowest free one for a new bar,
    handed back when it closes (thread-safe).

    Example:
        >>> slots = Slots()
        >>> first, second = slots.take(), slots.take()
        >>> (first, second)
        (0, 1)
        >>> slots.give_back(first)
        >>> slots.take()
        0
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: set[int] = set()

    def take(self) -> int:
        with self._lock:
            slot = 0
            while slot in self._taken:
                slot += 1
            self._taken.add(slot)
            return slot

    def give_back(self, slot: int) -> None:
        with self._lock:
            self._taken.discard(slot)


SLOTS = Slots()


def byte_bar(total: int, desc: str, *, enabled: bool) -> Any:
    """Progress counting bytes (``total`` 0: not known yet).

    Example:
        >>> bar = byte_bar(0, "Downloading cf-tweets-1", enabled=False)
        >>> bar.reset(total=2048)
        >>> bar.update(2048)
        >>> bar.close()
    """
    options = {"unit": "B", "unit_scale": True, "unit_divisor": 1000}  # as the lines say
    return _progress(desc, total, waiting=False, enabled=enabled, options=options)


def wait_bar(desc: str, *, enabled: bool) -> Any:
    """Progress of a wait: the job's status, time waited and the next poll (its postfix).

    Example:
        >>> bar = wait_bar("Waiting for cf-tweets-1", enabled=False)
        >>> bar.set_postfix_str("in_progress, waited 5s")
        >>> bar.close()
    """
    options = {"bar_format": "{desc}{postfix} [{elapsed}]"}
    return _progress(desc, None, waiting=True, enabled=enabled, options=options)


def close(bar: Any) -> None:
    """Close a bar, whatever state it is in."""
    with contextlib.suppress(Exception):
        bar.close()


def _progress(
    desc: str, total: int | None, *, waiting: bool, enabled: bool, options: dict[str, Any]
) -> Any:
    stream = sys.stderr
    kind = display_kind(stream) if enabled else "off"
    if kind == "notebook":
        return _notebook_bar()(total=total, desc=desc, leave=True, dynamic_ncols=True, **options)
    if kind == "terminal":
        return TerminalBar(
            total=total, desc=desc, waiting=waiting, dynamic_ncols=True, file=stream, **options
        )
    return Lines(desc, total or None, waiting=waiting, stream=stream if kind == "plain" else None)


@cache
def _notebook_bar() -> Any:
    """Notebook widgets where ipywidgets is installed (text bars if it is forced without)."""
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm

        return tqdm
    return text_tqdm


class Lines:
    """The plain-text stand-in for a bar: the methods the transfers and the wait call,
    written as whole lines to ``stream`` (None: nothing written at all).

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> bar = Lines("Uploading to cf-tweets-2", 2_500_000, waiting=False, stream=out)
        >>> bar.reset(total=2_500_000)
        >>> bar.update(2_500_000)
        >>> bar.close()
        >>> started, ended = out.getvalue().splitlines()
        >>> started
        'compliance-frames: Uploading to cf-tweets-2 (2.5 MB)'
        >>> ended.startswith("compliance-frames: Uploaded to cf-tweets-2: 2.5 MB in ")
        True
    """

    disable = False

    def __init__(
        self, desc: str, total: int | None, *, waiting: bool, stream: IO[str] | None
    ) -> None:
        self.desc = desc
        self.total = total
        self.n = 0
        self.postfix = ""
        self.disable = stream is None
        self._waiting = waiting
        self._stream = stream
        self._made = time.monotonic()
        self._started: float | None = None  # monotonic time of the first byte's line
        self._said = ""  # the last status line written
        self._said_at = 0.0  # and when, on the client's clock
        self._closed = False
        self._handling = sys.exc_info()[1]  # an exception already being handled when made

    def update(self, n: float = 1) -> None:
        self._begin()
        self.n += int(n)

    def reset(self, total: int | None = None) -> None:
        self.total = total
        self.n = 0
        self._begin()

    def refresh(self, *args: Any, **kwargs: Any) -> None:
        self._begin()

    def clear(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to clear: lines are never redrawn."""

    def display(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to draw: lines are written when something happens."""

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or ""

    set_description_str = set_description

    def set_postfix(
        self, ordered_dict: Mapping[str, Any] | None = None, refresh: bool = True, **kwargs: Any
    ) -> None:
        items = {**(ordered_dict or {}), **kwargs}
        self.set_postfix_str(", ".join(f"{key}={value}" for key, value in items.items()))

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = str(s)
        if not self._waiting or not self.postfix:
            return
        now = clock.now()
        if not self._said or now - self._said_at >= STATUS_EVERY:
            self._status(now)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._waiting:
            if self.postfix and self.postfix != self._said:
                self._status(clock.now())
            return
        failed = sys.exc_info()[1] not in (None, self._handling)
        if self._started is not None or failed:  # a failure before the first byte says so too
            seconds = time.monotonic() - (self._started or self._made)
            self._write(ending(self.desc, self.n, self.total, seconds, failed=failed))

    def __enter__(self) -> Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _begin(self) -> None:
        if self._started is None and not self._waiting:
            self._started = time.monotonic()
            size = f" ({_size(self.total)})" if self.total is not None else ""
            self._write(f"{self.desc}{size}")

    def _status(self, now: float) -> None:
        self._said, self._said_at = self.postfix, now
        self._write(f"{self.desc}: {self.postfix}")

    def _write(self, text: str) -> None:
        if self._stream is not None:
            emit(self._stream, text)


class TerminalBar(text_tqdm):  # type: ignore[misc]  # tqdm has no type information
    """A tqdm text bar on a line of its own (a :class:`Slots` slot) that leaves, when it
    closes, one line saying how its phase ended."""

    def __init__(self, *args: Any, waiting: bool, **kwargs: Any) -> None:
        self._slot = SLOTS.take()
        self._waiting = waiting
        self._stream = kwargs.get("file")
        self._begun = time.monotonic()
        self._ended = False
        self._handling = sys.exc_info()[1]
        try:
            super().__init__(*args, position=self._slot, leave=False, **kwargs)
        except BaseException:
            SLOTS.give_back(self._slot)
            raise

    @property
    def slot(self) -> int:
        """The line this bar is drawn on (0: the cursor's)."""
        return self._slot

    def close(self) -> None:
        if getattr(self, "_ended", True):
            super().close()
            return
        self._ended = True
        try:
            super().close()
        finally:
            SLOTS.give_back(self._slot)
        if self._waiting:
            said = f"{self.desc}: {self.postfix}" if self.postfix else ""
        else:
            seconds = time.monotonic() - self._begun
            failed = sys.exc_info()[1] not in (None, self._handling)
            said = ending(self.desc.rstrip(": "), self.n, self.total, seconds, failed=failed)
        if said:
            with contextlib.suppress(Exception):
                # From the line's start: a closed bar below the first leaves the cursor after it
                text_tqdm.write("\r" + PREFIX + _printable(said), file=self._stream)


def ending(desc: str, n: int, total: int | None, seconds: float, *, failed: bool) -> str:
    """The line that ends a transfer: done when it did not fail and its total (if known)
    arrived, stopped otherwise.

    Example:
        >>> ending("Downloading cf-tweets-3", 1500, 1500, 12.0, failed=False)
        'Downloaded cf-tweets-3: 1.5 kB in 12 s'
        >>> ending("Writing clean.jsonl", 1500, 1500, 0.4, failed=False)
        'Wrote clean.jsonl: 1.5 kB in 0.4 s'
        >>> ending("Uploading to cf-tweets-3", 1500, 1500, 0.4, failed=True)
        'Uploading to cf-tweets-3 stopped at 1.5 kB of 1.5 kB after 0.4 s'
    """
    if not failed and (total is None or n >= total):
        past, found = re.subn(r"^(\w+?)ing\b", _past, desc, count=1)
        head = past if found else f"{desc}: done,"
        return f"{head}{':' if found else ''} {_size(n)} in {_seconds(seconds)}"
    of = f" of {_size(total)}" if total is not None else ""
    return f"{desc} stopped at {_size(n)}{of} after {_seconds(seconds)}"


_IRREGULAR = {"Writ": "Wrote", "Read": "Read", "Send": "Sent", "Gett": "Got", "Mak": "Made"}


def _past(match: re.Match[str]) -> str:
    """The past tense of a bar's first word ending in -ing (``Uploading`` -> ``Uploaded``)."""
    stem = match.group(1)
    return _IRREGULAR.get(stem, stem + "ed")


def emit(stream: IO[str], text: str) -> None:
    """Write one whole line (threads never interleave within a line); never raise."""
    line = PREFIX + _printable(text) + "\n"
    with _WRITE, contextlib.suppress(Exception):
        stream.write(line)
        stream.flush()


def _printable(text: str) -> str:
    """No carriage return, escape code nor line break, even from a job's name."""
    return "".join(char if char.isprintable() else " " for char in text)


def _size(count: float) -> str:
    """Bytes in decimal units: ``'512 B'``, ``'1.2 MB'``."""
    if count < 1000:
        return f"{int(count)} B"
    for unit in ("kB", "MB", "GB", "TB"):
        count /= 1000
        if count < 999.95 or unit == "TB":
            break
    return f"{count:.1f} {unit}"


def _seconds(seconds: float) -> str:
    """``'0.4 s'``, ``'12 s'``, ``'3 min 5 s'``, ``'2 h 5 min'``."""
    if seconds < 10:
        return f"{max(seconds, 0):.1f} s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
