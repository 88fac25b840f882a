"""The byte-path transfers of the API host (2026): upload and download with the bearer token.

- ``PUT /2/compliance/jobs/{id}/upload?token=...``: the ID file, in one of the
  ``upload_types`` (default ``text/plain`` or ``application/octet-stream``), one decimal
  ID per line, at most ``max_upload_bytes`` (default 128 MiB); streamed to disk.
  Answers 200 ``{"data": <job>}`` (now ``in_progress``).
- ``GET /2/compliance/jobs/{id}/download?token=...``: the results once the job is
  ``complete``, streamed from disk, honouring ``Range`` (206, 416).

The bearer token, the rate windows (``upload`` and ``download`` have one each, as every
API endpoint does) and injected faults are the API host's business (:mod:`.api`); here
the ``token`` query parameter is checked (job and purpose, expiry) and then the job's
status, the content type and the size. Every refusal is an RFC 7807 problem given after
the request body has been read and discarded, so that the client sees it rather than a
reset connection:

======  ==========================================================================
403     token missing, malformed, another job's, the other purpose's, or expired
404     no job with this id
409     upload to a job that is not ``created`` (cancelled, expired, uploaded, or
        being uploaded), download of a job that is not ``complete``
413     upload over ``max_upload_bytes`` (decided from Content-Length before reading,
        or while reading a chunked body)
415     upload of a content type not in ``upload_types`` (the detail lists those)
416     download range beyond the file
======  ==========================================================================

A job cancelled while its upload is being received stays ``failed``: the upload is
answered 409 once read, and is neither kept nor processed.

Example:
    >>> from compliance_frames.emulator.config import EmulatorConfig
    >>> EmulatorConfig().upload_types
    ('text/plain', 'application/octet-stream')
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from . import bodies
from .answers import Answers
from .endpoints import JOB_ID, fields_errors
from .jobs import Job, iso_time
from .state import EmulatorState
from .tokens import TokenVerdict
from .wire import BLOCK, body_length, drain, ranged_download, read_body

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

JobJson = Callable[[Job, Request], dict[str, Any]]


class Transfers:
    """Byte-path upload and download over the shared state."""

    def __init__(self, state: EmulatorState, answers: Answers, job_json: JobJson) -> None:
        self.state = state
        self.answers = answers
        self.job_json = job_json

    # -- upload -----------------------------------------------------------------------

    def upload(
        self, request: Request, environ: WSGIEnvironment, job_id: str, drop: bool
    ) -> Response | None:
        """Receive the ID file of a job; None when the connection must be dropped now."""
        job = self._target(request, job_id, "upload")
        if isinstance(job, Response):
            drain(environ)
            return job
        with self.state.store.lock:
            claimed = not job.uploading and job.status(self.state.now()) == "created"
            job.uploading = job.uploading or claimed
        if not claimed:
            drain(environ)
            return self._not_uploadable(job)
        try:
            refusal = self._body_refusal(request, environ)
            if refusal is not None:
                drain(environ)
                return refusal
            return self._receive(request, environ, job, drop)
        finally:
            with self.state.store.lock:
                job.uploading = False

    def _body_refusal(self, request: Request, environ: WSGIEnvironment) -> Response | None:
        """415 for a content type not accepted, 413 for a declared size over the limit."""
        accepted = self.state.config.upload_types
        if request.mimetype not in {kind.lower() for kind in accepted}:
            given = request.headers.get("Content-Type")
            return self.answers.problem(bodies.unsupported_media_type(given, accepted), 415)
        length = body_length(environ)
        limit = self.state.config.max_upload_bytes
        if length is not None and length > limit:
            return self.answers.problem(bodies.payload_too_large(limit, length), 413)
        return None

    def _receive(
        self, request: Request, environ: WSGIEnvironment, job: Job, drop: bool
    ) -> Response | None:
        state = self.state
        folder = state.job_dir(job)
        partial = os.path.join(folder, f"submission.{secrets.token_hex(6)}.part")
        length = body_length(environ)
        limit = state.config.max_upload_bytes
        try:
            with open(partial, "wb") as sink:
                if drop:
                    read_body(environ, sink, (length if length is not None else 2 * BLOCK) // 2)
                    return None
                # A chunked body is read one byte past the limit: enough to know it is over.
                received = read_body(environ, sink, None if length is not None else limit + 1)
            if received > limit:
                drain(environ)
                return self.answers.problem(bodies.payload_too_large(limit), 413)
            if length is not None and received < length:
                return None  # the client went away in the middle of the body
            with state.store.lock:
                if job.cancelled_at is not None:
                    return self._not_uploadable(job)
                os.replace(partial, state.upload_path(job))
                state.finish_upload(job, received)
                # Still under the lock: processing cannot finish before the answer is made.
                return self.answers.json({"data": self.job_json(job, request)})
        finally:
            if os.path.exists(partial):
                os.remove(partial)

    def _not_uploadable(self, job: Job) -> Response:
        """409 for a job that takes no upload now. A cancel (the job is ``failed``) is
        told before an upload being received: cancelled while another upload is read,
        the job takes neither that one nor this one."""
        now = self.state.now()
        status = job.status(now)
        if status == "failed":
            detail = f"Job {job.id} has failed ({job.error}); it takes no upload. Create a new job."
        elif job.uploading:
            detail = f"An upload of job {job.id} is being received already; wait for its answer."
        elif status == "expired":
            detail = (
                f"Job {job.id} has expired: its upload window closed at "
                f"{iso_time(job.upload_expires_at)}. Create a new job."
            )
        else:
            detail = (
                f"Job {job.id} has received its IDs already (status {status}); a job takes one "
                "upload. Create a new job to check other IDs."
            )
        return self.answers.problem(bodies.state_conflict(detail), 409)

    # -- download ---------------------------------------------------------------------

    def download(
        self, request: Request, environ: WSGIEnvironment, job_id: str, drop: bool
    ) -> Response:
        """The results file of a complete job (a part of it, for a ``Range``)."""
        job = self._target(request, job_id, "download")
        if isinstance(job, Response):
            return job
        status = job.status(self.state.now())
        if status != "complete":
            why = f" ({job.error})" if status == "failed" else ""
            return self.answers.problem(
                bodies.state_conflict(
                    f"Job {job.id} is {status}{why}, not complete: its results can be "
                    "downloaded once its status is complete."
                ),
                409,
            )
        response = ranged_download(
            request,
            environ,
            self.state.results_path(job),
            drop=drop,
            unsatisfiable=lambda size: self.answers.problem(
                bodies.range_not_satisfiable(job.id, size, request.headers.get("Range")), 416
            ),
        )
        response.headers.update(self.answers.headers())
        return response

    # -- shared checks ------------------------------------------------------------------

    def _target(self, request: Request, job_id: str, purpose: str) -> Job | Response:
        """The job, once the id, the fields parameter and the token are right; else the
        answer to give."""
        errors = fields_errors(request)
        if not JOB_ID.match(job_id):
            errors.append(
                bodies.parameter_error(
                    "id",
                    [job_id],
                    f"The `id` path parameter value [{job_id}] does not match ^[0-9]{{1,19}}$",
                )
            )
        if errors:
            return self.answers.invalid(errors)
        job = self.state.store.get(job_id)
        if job is None:
            return self.answers.problem(bodies.no_such_job(job_id), 404)
        check = self.state.tokens.check(
            request.args.get("token"), job_id, purpose, now=self.state.now()
        )
        if check.verdict is TokenVerdict.VALID:
            return job
        other = "download" if purpose == "upload" else "upload"
        if check.verdict is TokenVerdict.MISSING:
            detail = (
                f"The {purpose} needs the token of the job's {purpose}_url: send the URL "
                f"exactly as job creation returned it (with its ?token=...)."
            )
        elif check.verdict is TokenVerdict.WRONG_PURPOSE:
            detail = (
                f"This token is the {other} token of job {job_id}; the {purpose} needs the "
                f"token of its {purpose}_url."
            )
        elif check.verdict is TokenVerdict.EXPIRED:
            assert check.expires_at is not None
            detail = (
                f"The {purpose} token of job {job_id} expired at {iso_time(check.expires_at)}. "
                "Transfer URLs cannot be refreshed: cancel the job (DELETE "
                f"/2/compliance/jobs/{job_id}) if it has not finished, and create a new one."
            )
        else:
            detail = (
                f"The token is not valid for the {purpose} of job {job_id} (malformed, or "
                "another job's): use the job's own "
                f"{purpose}_url exactly as job creation returned it."
            )
        return self.answers.problem(bodies.forbidden(detail), 403)
