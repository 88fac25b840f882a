"""Deterministic fault injection: the next N answers of an endpoint go wrong on purpose.

Endpoints are ``create``, ``get``, ``list`` (API host), ``cancel`` (API host, byte-path
flow only: the gcs flow has no cancel) and ``upload``, ``download`` (the API host in the
byte-path flow, the storage host in the gcs flow).
Kinds:

- ``429``: the rate-limit answer (API: JSON problem; storage: XML ``SlowDown``);
- ``500`` / ``503``: a server error (API: JSON problem; storage: XML);
- ``"usage-cap"``: the 429 ``usage-capped`` problem of an exhausted monthly cap (on
  create, get, list and cancel);
- ``"drop"``: the connection is closed in the middle of the body: half the answer is
  sent (API, download) or half the upload is read (upload);
- ``"conflict"``: the 409 X gives ``create`` while a job of the type is active, with no
  such job to be found afterwards: the race of a job that ended in between (create only).

For ``create``, a ``drop`` happens *after* the job was created (the ambiguous failure
a client must not answer with a second job); the other kinds happen before, unless
``processed`` says otherwise. ``after=K`` lets the next K answers through first (to
hit, say, the first chunk of a resumable upload rather than its start).

Example:
    >>> faults = Faults()
    >>> faults.inject("get", 503, times=2)
    >>> [faults.take("get").kind for _ in range(2)], faults.take("get")
    (['503', '503'], None)
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

ENDPOINTS = ("create", "get", "list", "cancel", "upload", "download")
KINDS = ("429", "500", "503", "drop", "usage-cap", "conflict")


@dataclass(frozen=True)
class Fault:
    """One injected failure."""

    kind: str
    processed: bool


class Faults:
    """Queues of pending failures per endpoint, consumed in order."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault | None]] = {endpoint: deque() for endpoint in ENDPOINTS}
        self._lock = threading.Lock()

    def inject(
        self,
        endpoint: str,
        kind: int | str,
        times: int = 1,
        *,
        processed: bool | None = None,
        after: int = 0,
    ) -> None:
        """Make ``times`` answers of ``endpoint`` fail with ``kind``, after ``after`` good ones."""
        kind = str(kind)
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; choose from {list(ENDPOINTS)}")
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {list(KINDS)}")
        if kind == "usage-cap" and endpoint in ("upload", "download"):
            raise ValueError(
                "a usage cap is an answer of the job endpoints; inject it on create, get, list "
                "or cancel"
            )
        if kind == "conflict" and endpoint != "create":
            raise ValueError("a conflict is an answer of create only")
        if times < 1 or after < 0:
            raise ValueError(f"need times >= 1 and after >= 0, got {times} and {after}")
        if processed is None:
            processed = kind == "drop" and endpoint == "create"
        with self._lock:
            queue = self._queues[endpoint]
            queue.extend(None for _ in range(after))
            queue.extend(Fault(kind, processed) for _ in range(times))

    def take(self, endpoint: str) -> Fault | None:
        """The next pending fault of ``endpoint``, if any (and consume it)."""
        with self._lock:
            queue = self._queues[endpoint]
            return queue.popleft() if queue else None

    def pending(self, endpoint: str | None = None) -> int:
        """How many injected faults are still waiting."""
        with self._lock:
            queues = (
                [self._queues[endpoint]] if endpoint is not None else list(self._queues.values())
            )
            return sum(1 for queue in queues for fault in queue if fault is not None)

    def clear(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
