"""The storage host of the gcs flow: signed URLs in the shape of Google Cloud Storage.

- ``PUT <upload_url>`` with exactly ``Content-Type: text/plain``: plain upload.
- ``POST <upload_url>`` with ``x-goog-resumable: start``: opens a resumable session
  (201, ``Location``); ``PUT <session>`` with ``Content-Range`` sends chunks (308 with
  ``Range`` until the last, then 200); ``Content-Range: bytes */TOTAL`` probes.
- ``GET <download_url>``: the results, streamed, honouring ``Range`` (206; 416 as
  GCS's ``InvalidRange`` XML).

Any request carrying an ``Authorization`` header is refused (400): a bearer token has
no business on a signed URL, and the refusal is how tests catch a leak.

The storage host has no rate windows (no ``x-rate-limit-*`` headers, never a 429 of its
own); its ``upload`` and ``download`` endpoints fail only by injected faults.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from . import bodies
from .jobs import Job, UploadSession
from .signing import Verdict
from .state import EmulatorState, LoggedRequest
from .wire import abort, body_length, ranged_download, read_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

RESUMABLE_CHUNK = 256 * 1024
_PATH = re.compile(r"^/[a-z-]+/(?P<job>[0-9]{1,19})/(?P<kind>submission|delivery)/[0-9]+_(?P=job)$")
_CONTENT_RANGE = re.compile(
    r"^bytes (?:(?P<star>\*)|(?P<first>\d+)-(?P<last>\d+))/(?P<total>\*|\d+)$"
)
_SERVER_ERRORS = {
    "429": (429, "SlowDown", "Please reduce your request rate."),
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "We encountered an internal error. Please try again."),
}


class _Dropped(Exception):
    """The connection must be closed without an answer (an upload cut short)."""


@dataclass(frozen=True)
class _Target:
    job: Job
    kind: str
    upload_id: str | None


class StorageApp:
    """WSGI app of the storage host."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response: Response | None = self._answer(request, environ)
        except _Dropped:
            response = None
        self.state.log.add(
            LoggedRequest(
                host="storage",
                method=request.method,
                path=request.path,
                query=dict(request.args),
                status=None if response is None else response.status_code,
                authorization=request.headers.get("Authorization"),
                content_type=request.headers.get("Content-Type"),
                content_length=body_length(environ),
                at=self.state.now(),
                range=request.headers.get("Range"),
            )
        )
        if response is None:
            abort(environ)
            raise ConnectionAbortedError("upload dropped")
        return response(environ, start_response)

    def _answer(self, request: Request, environ: WSGIEnvironment) -> Response:
        if "Authorization" in request.headers:
            return _xml(
                400,
                "InvalidArgument",
                "Invalid argument.",
                "A signed URL carries its own credentials: the request must not also carry an "
                "Authorization header. Remove it (never send a bearer token to a signed URL).",
            )
        target = self._target(request)
        if target is None:
            return _xml(404, "NoSuchKey", "The specified key does not exist.")
        endpoint = "download" if target.kind == "delivery" else "upload"
        fault = self.state.faults.take(endpoint)
        if fault is not None and fault.kind != "drop":
            status, code, message = _SERVER_ERRORS[fault.kind]
            return _xml(status, code, message)
        drop = fault is not None
        if drop and request.method == "POST":
            raise _Dropped
        if target.upload_id is not None:
            if request.method != "PUT":
                return _xml(405, "MethodNotAllowed", "The specified method is not allowed.")
            return self._session_put(request, environ, target, drop)
        verdict = self._verify(request, environ)
        if verdict is not None:
            return verdict
        if target.kind == "delivery":
            if request.method != "GET":
                return _xml(405, "MethodNotAllowed", "The specified method is not allowed.")
            return self._download(request, environ, target.job, drop)
        if request.method == "POST":
            return self._start_session(request, target.job)
        if request.method == "PUT":
            return self._plain_put(environ, target.job, drop)
        return _xml(405, "MethodNotAllowed", "The specified method is not allowed.")

    def _target(self, request: Request) -> _Target | None:
        match = _PATH.match(request.path)
        if match is None:
            return None
        job = self.state.store.get(match["job"])
        if job is None:
            return None
        return _Target(job, match["kind"], request.args.get("upload_id"))

    def _verify(self, request: Request, environ: WSGIEnvironment) -> Response | None:
        headers = {
            "host": environ.get("HTTP_HOST", ""),
            "content-type": environ.get("CONTENT_TYPE", ""),
            "content-length": environ.get("CONTENT_LENGTH", ""),
            "x-goog-resumable": environ.get("HTTP_X_GOOG_RESUMABLE", ""),
        }
        query = {key: value for key, value in request.args.items() if key != "upload_id"}
        verdict = self.state.url_signer().verify(
            request.method, request.path, query, headers, now=self.state.now()
        )
        if verdict is Verdict.VALID:
            return None
        if verdict is Verdict.EXPIRED:
            issued = datetime.strptime(query["X-Goog-Date"], "%Y%m%dT%H%M%SZ")
            expired = issued.replace(tzinfo=timezone.utc).timestamp() + int(query["X-Goog-Expires"])
            when = datetime.fromtimestamp(expired, tz=timezone.utc).isoformat()
            return _xml(
                400,
                "ExpiredToken",
                "Invalid argument.",
                f"The provided token has expired. Request signature expired at: {when}",
            )
        if verdict is Verdict.MALFORMED:
            return _xml(
                400,
                "InvalidArgument",
                "Invalid argument.",
                "The request is missing X-Goog-* signature parameters.",
            )
        return _xml(
            403,
            "SignatureDoesNotMatch",
            "Access denied.",
            "The request signature we calculated does not match the signature you provided. "
            "Check the method, the URL and the signed headers (an upload needs exactly "
            "'Content-Type: text/plain').",
        )

    # -- uploads ----------------------------------------------------------------------

    def _plain_put(self, environ: WSGIEnvironment, job: Job, drop: bool) -> Response:
        length = body_length(environ)
        if job.uploaded_at is not None:
            read_body(environ, None)  # the object is overwritten; processing has begun already
            return Response(b"", status=200)
        folder = self.state.job_dir(job)
        partial = os.path.join(folder, "submission.part")
        limit = None if not drop else (length or 0) // 2
        with open(partial, "wb") as sink:
            received = read_body(environ, sink, limit)
        if drop or (length is not None and received < length):
            os.remove(partial)
            raise _Dropped
        os.replace(partial, self.state.upload_path(job))
        self.state.finish_upload(job, received)
        return Response(b"", status=200)

    def _start_session(self, request: Request, job: Job) -> Response:
        if request.headers.get("x-goog-resumable") != "start":
            return _xml(
                400,
                "InvalidArgument",
                "Invalid argument.",
                "Start a resumable upload with the header 'x-goog-resumable: start'.",
            )
        upload_id = secrets.token_urlsafe(24)
        path = os.path.join(self.state.job_dir(job), f"session-{upload_id}")
        open(path, "wb").close()
        with self.state.store.lock:
            job.session = UploadSession(
                upload_id=upload_id,
                path=path,
                expires_at=self.state.now() + self.state.config.session_window,
            )
        response = Response(b"", status=201)
        response.headers["Location"] = f"{job.upload_url}&upload_id={upload_id}"
        response.headers["X-GUploader-UploadID"] = upload_id
        return response

    def _session_put(
        self, request: Request, environ: WSGIEnvironment, target: _Target, drop: bool
    ) -> Response:
        job = target.job
        session = job.session
        if session is None or session.upload_id != target.upload_id:
            if job.uploaded_at is not None:
                read_body(environ, None)
                return Response(b"", status=200)
            return _xml(404, "NoSuchUpload", "The requested upload was not found.")
        if job.uploaded_at is None and self.state.now() >= session.expires_at:
            read_body(environ, None)
            return _xml(404, "NoSuchUpload", "The upload session has expired.")
        length = body_length(environ) or 0
        total: int | None
        header = request.headers.get("Content-Range")
        if header is None:
            first, last, total = 0, length - 1, length
        else:
            match = _CONTENT_RANGE.match(header.strip())
            if match is None:
                return _xml(
                    400,
                    "InvalidArgument",
                    "Invalid argument.",
                    f"Malformed Content-Range {header!r}; "
                    "use 'bytes A-B/TOTAL' or 'bytes */TOTAL'.",
                )
            total = None if match["total"] == "*" else int(match["total"])
            if match["star"]:
                return self._session_status(job, session, total)
            first, last = int(match["first"]), int(match["last"])
        if last - first + 1 != length:
            return _xml(
                400,
                "InvalidArgument",
                "Invalid argument.",
                f"Content-Range covers {last - first + 1} bytes but the body has {length}.",
            )
        if first > session.received:
            return _xml(
                400,
                "InvalidArgument",
                "Invalid argument.",
                f"The chunk starts at byte {first} but only {session.received} bytes are "
                f"stored; resume from byte {session.received}.",
            )
        final = total is not None and last + 1 >= total
        if not final and length % RESUMABLE_CHUNK:
            return _xml(
                400,
                "InvalidArgument",
                "Invalid argument.",
                f"Non-final chunks must be a multiple of 256 KiB; this one has {length} bytes.",
            )
        skip = session.received - first
        with open(session.path, "r+b") as sink:
            sink.seek(session.received)
            if skip:
                read_body(environ, None, skip)
            wanted = length - skip
            received = read_body(environ, sink, wanted // 2 if drop else wanted)
            if drop or received < wanted:
                # Only whole 256 KiB blocks of an interrupted request are kept, as on GCS.
                kept = (session.received + received) // RESUMABLE_CHUNK * RESUMABLE_CHUNK
                sink.truncate(kept)
                session.received = kept
                raise _Dropped
        session.received = last + 1
        session.total = total
        return self._session_status(job, session, total)

    def _session_status(self, job: Job, session: UploadSession, total: int | None) -> Response:
        if total is not None and session.received >= total:
            if session.received > total:
                return _xml(
                    400,
                    "InvalidArgument",
                    "Invalid argument.",
                    f"{session.received} bytes were sent for an upload of {total}.",
                )
            os.replace(session.path, self.state.upload_path(job))
            self.state.finish_upload(job, total)
            return Response(b"", status=200)
        response = Response(b"", status=308)
        if session.received:
            response.headers["Range"] = f"bytes=0-{session.received - 1}"
        return response

    # -- downloads --------------------------------------------------------------------

    def _download(
        self, request: Request, environ: WSGIEnvironment, job: Job, drop: bool
    ) -> Response:
        path = self.state.results_path(job)
        if job.status(self.state.now()) != "complete" or not os.path.exists(path):
            return _xml(404, "NoSuchKey", "The specified key does not exist.")
        response = ranged_download(
            request,
            environ,
            path,
            drop=drop,
            unsatisfiable=lambda size: _xml(
                416, "InvalidRange", "The requested range cannot be satisfied."
            ),
        )
        if response.status_code in (200, 206):
            response.headers["x-goog-stored-content-length"] = str(os.path.getsize(path))
        return response


def _xml(status: int, code: str, message: str, details: str | None = None) -> Response:
    return Response(
        bodies.xml_error(code, message, details),
        status=status,
        content_type="application/xml; charset=UTF-8",
    )
