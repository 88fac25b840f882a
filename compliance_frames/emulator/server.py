"""The embedded emulator: real HTTP servers on loopback.

- byte-path flow (default, the service since 2026): one server, the API host, which
  also takes the uploads and serves the downloads (with the bearer token);
- gcs flow (2021-2026): the API host and a storage host with Cloud Storage signed URLs.

Example:
    >>> import requests
    >>> with Emulator(processing_seconds=0) as emu:
    ...     answer = requests.post(
    ...         emu.base_url + "/2/compliance/jobs",
    ...         json={"type": "tweets"},
    ...         headers={"Authorization": f"Bearer {emu.bearer_token}"},
    ...     )
    ...     answer.json()["data"]["status"]
    'created'
"""

from __future__ import annotations

import atexit
import errno
import os
import shutil
import tempfile
import threading
import time
from typing import Any

from requests import PreparedRequest, Response, Session
from requests.adapters import HTTPAdapter
from werkzeug.serving import BaseWSGIServer, make_server

from .api import ApiApp
from .clock import Clock
from .config import EmulatorConfig
from .jobs import Job
from .state import EmulatorState, Fate, LoggedRequest
from .storage import StorageApp
from .wire import QuietHandler

__all__ = ["Emulator"]

REAL_API_ORIGINS = ("https://api.x.com", "https://api.twitter.com")
DEFAULT_FAILURE = "The compliance job failed while processing the uploaded IDs."
_POLL = 0.01
"""Seconds between the server loop's looks at a stop request: what stop() waits at most."""


class Emulator:
    """An offline X batch-compliance service on 127.0.0.1.

    ``flow="bytepath"`` (default): the service as of 2026 (OpenAPI 2.168). One server:
    job creation returns ``{base_url}/2/compliance/jobs/{id}/upload?token=...`` and
    ``.../download?token=...``; both transfers need the bearer token; ``DELETE`` cancels
    a job; results carry ``delete`` / ``rehydrate`` / ``scrub_geo`` actions and
    ``invalid_id`` records. ``storage_url`` is None.

    ``flow="gcs"``: the service of 2021-2026 (OpenAPI 2.159). The API host and a storage
    host with signed URLs in the shape of Google Cloud Storage (plain and resumable
    uploads, no bearer token there). No ``DELETE`` (405, as any wrong verb), and job
    answers carry every field whatever ``compliance_job.fields`` asks.

    Rate windows: each API endpoint has its own (``create``, ``list``, ``get``; in the
    byte-path flow also ``cancel``, ``upload``, ``download``); the gcs storage host has
    none.

    Keyword arguments are the fields of :class:`EmulatorConfig` (``flow``, ``events``,
    ``processing_seconds``, ``seconds_per_id``, ``rates``, ``upload_window``,
    ``download_window``, ``max_upload_bytes`` and ``upload_types`` (byte-path flow
    only), ``rate_limit``, ``rate_window``, ``blank_lines``, ``crlf``, ``enrolled``,
    ...), plus:

    Args:
        host: interface to listen on (loopback by default).
        port: API port (0 picks a free one); the storage host (gcs flow) takes
            ``storage_port`` (refused in the byte-path flow, which has no storage host).
        bearer_token: the app-only token to accept (random by default).
        clock: where time comes from; a :class:`ManualClock` lets a test move hours
            forward instantly.
        data_dir: where uploads and results are kept (a temporary folder, removed on
            :meth:`stop`, by default).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        storage_port: int = 0,
        bearer_token: str | None = None,
        clock: Clock | None = None,
        data_dir: str | None = None,
        **settings: Any,
    ) -> None:
        self.config = EmulatorConfig(**settings)
        if storage_port and self.config.flow != "gcs":
            raise ValueError(
                "storage_port is for flow='gcs': the byte-path flow takes uploads and downloads "
                "on the API port"
            )
        self._host = host
        self._ports = (port, storage_port)
        self._own_dir = data_dir is None
        self._data_dir = data_dir or tempfile.mkdtemp(prefix="compliance-emulator-")
        os.makedirs(self._data_dir, exist_ok=True)
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []
        try:
            storage = self._bind(storage_port, None) if self.config.flow == "gcs" else None
            api = self._bind(port, None)
            self.state = EmulatorState.create(
                self.config,
                data_dir=self._data_dir,
                api_origin=f"http://{self._url_host}:{api.server_port}",
                storage_origin=None
                if storage is None
                else f"http://{self._url_host}:{storage.server_port}",
                clock=clock,
                bearer_token=bearer_token,
            )
            if storage is not None:
                storage.app = StorageApp(self.state)
            api.app = ApiApp(self.state)
        except BaseException:  # a port in use, say: nothing is left open or on disk
            for server in self._servers:
                server.server_close()
            if self._own_dir:
                shutil.rmtree(self._data_dir, ignore_errors=True)
            raise
        # A script that ends without stop() leaves neither servers nor files behind.
        atexit.register(self.stop)
        self.base_url = self.state.api_origin
        """The API root: endpoints are ``base_url + "/2/compliance/jobs"``."""
        self.storage_url: str | None = None if storage is None else self.state.url_signer().origin
        """The storage host's origin (gcs flow: signed URLs point here); None in the
        byte-path flow, whose transfers are on the API host."""

    @property
    def _url_host(self) -> str:
        return "127.0.0.1" if self._host in ("0.0.0.0", "") else self._host

    def _bind(self, port: int, app: Any) -> BaseWSGIServer:
        try:
            server = make_server(self._host, port, app, threaded=True, request_handler=QuietHandler)
        except SystemExit:  # werkzeug's answer to a port in use: an error here, not an exit
            raise OSError(
                errno.EADDRINUSE, f"Port {port} on {self._host} is in use by another program"
            ) from None
        self._servers.append(server)
        return server

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Start serving in background threads (idempotent)."""
        if not self._threads:
            for server in self._servers:
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": _POLL},
                    name=f"emulator-{server.server_port}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and remove the temporary data folder (idempotent).

        Runs by itself when the interpreter exits, for an emulator never stopped.
        """
        atexit.unregister(self.stop)
        if self._threads:  # both servers at once: each waits for its loop to notice
            stopping = [threading.Thread(target=server.shutdown) for server in self._servers]
            for thread in stopping:
                thread.start()
            for thread in stopping:
                thread.join()
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self._servers.clear()
        self.state.executor.shutdown(wait=True, cancel_futures=True)
        if self._own_dir:
            shutil.rmtree(self._data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def flow(self) -> str:
        """``"bytepath"`` or ``"gcs"``: the generation of the service emulated."""
        return self.config.flow

    def __repr__(self) -> str:
        storage = "" if self.storage_url is None else f", storage_url={self.storage_url!r}"
        return (
            f"Emulator(flow={self.flow!r}, base_url={self.base_url!r}{storage}, bearer_token='***')"
        )

    # -- credentials and clock -------------------------------------------------------------

    @property
    def bearer_token(self) -> str:
        """The app-only bearer token the API host accepts."""
        return self.state.bearer_token

    @property
    def user_token(self) -> str:
        """A user-context token: the API host answers it with 403 unsupported-authentication."""
        return self.state.user_token

    @property
    def clock(self) -> Clock:
        """The emulator's clock."""
        return self.state.clock

    # -- inspection ------------------------------------------------------------------------

    @property
    def jobs(self) -> list[dict[str, Any]]:
        """Every job, newest first, as the API shows it (every field) plus internal fields
        (``n_ids``, ``n_events``, ``n_invalid``, ``uploaded_bytes``)."""
        return [self._view(job) for job in self.state.store.newest_first()]

    def job(self, job_id: str) -> dict[str, Any]:
        """One job as :attr:`jobs` shows it (KeyError if unknown)."""
        job = self.state.store.get(str(job_id))
        if job is None:
            raise KeyError(f"no job with id {job_id!r}")
        return self._view(job)

    def _view(self, job: Job) -> dict[str, Any]:
        with self.state.store.lock:
            view = job.to_json(self.state.now())
            view.update(
                n_ids=job.n_ids,
                n_events=job.n_events,
                n_invalid=job.n_invalid,
                uploaded_bytes=job.uploaded_bytes,
            )
        return view

    def results(self, job_id: str) -> bytes:
        """The raw results file of a processed job (empty if it has none)."""
        try:
            with open(self.state.results_path(str(job_id)), "rb") as source:
                return source.read()
        except FileNotFoundError:
            return b""

    def request_log(self, host: str | None = None) -> list[LoggedRequest]:
        """Requests received so far, oldest first: all, or ``host="api"`` / ``"storage"``.

        In the byte-path flow uploads and downloads are ``"api"`` requests.
        """
        return self.state.log.entries(host)

    def storage_authorizations(self) -> list[str]:
        """Every ``Authorization`` header the storage host saw (should be empty; always
        empty in the byte-path flow, which has no storage host)."""
        return [e.authorization for e in self.state.log.entries("storage") if e.authorization]

    def wait_processed(self, job_id: str, timeout: float = 60.0) -> None:
        """Block until an uploaded job's processing work is done (for tests)."""
        job = self.state.store.get(str(job_id))
        if job is None:
            raise KeyError(f"no job with id {job_id!r}")
        deadline = time.monotonic() + timeout
        while not job.processed:
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} not processed within {timeout} s")
            time.sleep(0.01)

    # -- fault injection ---------------------------------------------------------------------

    def inject(
        self,
        endpoint: str,
        kind: int | str,
        times: int = 1,
        *,
        processed: bool | None = None,
        after: int = 0,
    ) -> None:
        """Make the next ``times`` answers of an endpoint fail (after ``after`` good ones).

        ``endpoint``: ``create``, ``get``, ``list``, ``cancel`` (byte-path flow only),
        ``upload`` or ``download``; ``kind``: ``429``, ``500``, ``503``, ``"usage-cap"``,
        ``"conflict"`` (create only) or ``"drop"`` (see :mod:`compliance_frames.emulator.faults`).
        """
        if endpoint == "cancel" and self.flow != "bytepath":
            raise ValueError(
                "cancel is an endpoint of the byte-path flow; the gcs flow (2.159) has no "
                "DELETE /2/compliance/jobs/{id} to fail"
            )
        self.state.faults.inject(endpoint, kind, times, processed=processed, after=after)

    def fail_next_job(self, error: str = DEFAULT_FAILURE, *, type: str | None = None) -> None:
        """The next job created (of ``type``, or any) fails once processed, with ``error``."""
        with self.state.store.lock:
            self.state.next_fates.append(Fate("fail", error, type))

    def stall_next_job(self, *, type: str | None = None) -> None:
        """The next job created (of ``type``, or any) stays ``in_progress`` once uploaded."""
        with self.state.store.lock:
            self.state.next_fates.append(Fate("stall", None, type))

    def fail_job(self, job_id: str, error: str = DEFAULT_FAILURE) -> None:
        """This job fails once processed (or now, if it already was)."""
        with self.state.store.lock:
            job = self._job(job_id)
            job.fate, job.fate_error = "fail", error
            if job.processed:
                job.error = error

    def stall_job(self, job_id: str) -> None:
        """This job stays ``in_progress`` until :meth:`release_job`."""
        with self.state.store.lock:
            self._job(job_id).fate = "stall"

    def release_job(self, job_id: str) -> None:
        """Undo :meth:`stall_job`: the job completes as it normally would."""
        with self.state.store.lock:
            self._job(job_id).fate = None

    def _job(self, job_id: str) -> Job:
        job = self.state.store.get(str(job_id))
        if job is None:
            raise KeyError(f"no job with id {job_id!r}")
        return job

    # -- routing other clients ------------------------------------------------------------------

    def mount(self, session: Session) -> Session:
        """Route a ``requests.Session``'s calls to the real API hosts to this emulator.

        For clients whose host is fixed in their code, such as ``tweepy.Client``:
        ``emu.mount(client.session)`` and its calls reach the emulator unchanged.
        """
        adapter = _RedirectAdapter(self.base_url)
        for origin in REAL_API_ORIGINS:
            session.mount(origin, adapter)
        return session


class _RedirectAdapter(HTTPAdapter):
    """Sends requests addressed to a real API origin to the emulator instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base_url = base_url

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        url = request.url or ""
        for origin in REAL_API_ORIGINS:
            if url.startswith(origin):
                request.url = self._base_url + url[len(origin) :]
                request.headers["Host"] = self._base_url.split("://", 1)[1]
                break
        return super().send(request, **kwargs)
