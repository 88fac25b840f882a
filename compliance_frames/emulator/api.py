"""The API host: the job endpoints, and in the byte-path flow the uploads and downloads.

- ``POST /2/compliance/jobs`` (create), ``GET /2/compliance/jobs`` (list),
  ``GET /2/compliance/jobs/{id}`` (get): :mod:`.endpoints`;
- byte-path flow only: ``DELETE /2/compliance/jobs/{id}`` (cancel, :mod:`.endpoints`),
  ``PUT /2/compliance/jobs/{id}/upload`` (upload) and
  ``GET /2/compliance/jobs/{id}/download`` (download): :mod:`.transfers`.

In the gcs flow (OpenAPI 2.159) there is no cancel: ``DELETE`` on a job is a known path
with a wrong verb, answered 405 as any other; the transfer paths do not exist (404).

A WSGI application over :class:`~compliance_frames.emulator.state.EmulatorState`.
Each request is authenticated (the app-only bearer token, on transfers too), counted
against its endpoint's rate window, given a chance to fail by an injected fault, then
handed to its endpoint, and logged.

Rate windows (:class:`~compliance_frames.emulator.ratelimit.RateLimiter`): each endpoint
above has one of its own, ``rate_limit`` requests per ``rate_window``: ``create``,
``list``, ``get``, and in the byte-path flow ``cancel``, ``upload`` and ``download``.
A request refused with 401 or 403 carries its endpoint's headers without counting; a
wrong verb (405) or an unknown path (404) neither counts nor carries them.

Example:
    >>> _route("DELETE", "/2/compliance/jobs/12", "bytepath")
    ('cancel', '12')
    >>> _route("DELETE", "/2/compliance/jobs/12", "gcs")
    ('method', None)
    >>> _route("PUT", "/2/compliance/jobs/12/upload", "bytepath")
    ('upload', '12')
    >>> _route("PUT", "/2/compliance/jobs/12/upload", "gcs")
    (None, None)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from . import bodies
from .answers import API_VERSIONS, Answer, Answers, half_then_drop
from .endpoints import JOBS_PATH, JobEndpoints
from .faults import Fault
from .state import EmulatorState, LoggedRequest
from .transfers import Transfers
from .wire import abort, drain

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

TRANSFERS = ("upload", "download")


class ApiApp:
    """WSGI app of the API host."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.answers = Answers(API_VERSIONS[state.config.flow])
        self.jobs = JobEndpoints(state, self.answers)
        self.transfers = Transfers(state, self.answers, self.jobs.job_json)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        endpoint, job_id = _route(request.method, request.path, self.state.config.flow)
        answer = self._answer(request, environ, endpoint, job_id)
        response = answer.response
        self.state.log.add(
            LoggedRequest(
                host="api",
                method=request.method,
                path=request.path,
                query=dict(request.args),
                status=None if answer.dropped or response is None else response.status_code,
                authorization=request.headers.get("Authorization"),
                content_type=request.content_type,
                content_length=request.content_length,
                at=self.state.now(),
                range=request.headers.get("Range"),
            )
        )
        if response is None:
            abort(environ)
            raise ConnectionAbortedError("upload dropped on purpose by the emulator")
        if answer.cut:
            return half_then_drop(response, environ, start_response)
        return response(environ, start_response)

    # -- the steps every request goes through ---------------------------------------

    def _answer(
        self,
        request: Request,
        environ: WSGIEnvironment,
        endpoint: str | None,
        job_id: str | None,
    ) -> Answer:
        """The answer, and how the connection ends."""
        answers = self.answers
        if endpoint is None:
            drain(environ)
            return Answer(
                answers.json(
                    {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}, 404
                )
            )
        if endpoint == "method":
            drain(environ)
            body = {
                "title": "Method Not Allowed",
                "type": "about:blank",
                "status": 405,
                "detail": f"{request.method} is not supported on {request.path}",
            }
            return Answer(answers.problem(body, 405))
        refusal = self._refusal(request, endpoint)
        if refusal is not None:
            if endpoint == "upload":
                drain(environ)
            return Answer(refusal)
        allowed, headers = self.state.limiter.hit(endpoint)
        if not allowed:
            if endpoint == "upload":
                drain(environ)
            return Answer(answers.problem(bodies.too_many_requests(), 429, headers))
        fault = self.state.faults.take(endpoint)
        if endpoint in TRANSFERS:
            assert job_id is not None
            return self._transfer(request, environ, endpoint, job_id, fault, headers)
        if fault is None:
            return Answer(self._handle(request, endpoint, job_id, headers))
        if fault.processed:
            handled = self._handle(request, endpoint, job_id, headers)
            if fault.kind == "drop":
                return Answer(handled, cut=True, dropped=True)
        if fault.kind == "drop":
            return Answer(
                answers.problem(bodies.server_error(503), 503, headers), cut=True, dropped=True
            )
        return Answer(self._fault_answer(fault, endpoint, headers))

    def _refusal(self, request: Request, endpoint: str) -> Response | None:
        """401 or 403 for a request without the app-only bearer token, or from an app
        without batch compliance."""
        limiter = self.state.limiter
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        if token == self.state.user_token:
            return self.answers.problem(
                bodies.unsupported_authentication(), 403, limiter.headers(endpoint)
            )
        if token != self.state.bearer_token:
            return self.answers.problem(bodies.unauthorized(), 401, limiter.headers(endpoint))
        if not self.state.config.enrolled:
            return self.answers.problem(bodies.client_forbidden(), 403, limiter.headers(endpoint))
        return None

    def _fault_answer(self, fault: Fault, endpoint: str, headers: dict[str, str]) -> Response:
        """The answer of an injected 429, usage cap, conflict, 500 or 503."""
        if fault.kind == "429":
            return self.answers.problem(
                bodies.too_many_requests(), 429, self.state.limiter.exhausted_headers(endpoint)
            )
        if fault.kind == "usage-cap":
            return self.answers.problem(bodies.usage_capped(), 429, headers)
        if fault.kind == "conflict":
            return self.answers.problem(bodies.conflict(), 409, headers)
        status = int(fault.kind)
        return self.answers.problem(bodies.server_error(status), status, headers)

    def _handle(
        self, request: Request, endpoint: str, job_id: str | None, headers: dict[str, str]
    ) -> Response:
        if endpoint == "create":
            response = self.jobs.create(request)
        elif endpoint == "list":
            response = self.jobs.list(request)
        else:
            assert job_id is not None
            if endpoint == "cancel":
                response = self.jobs.cancel(request, job_id)
            else:
                response = self.jobs.get(request, job_id)
        response.headers.update(headers)
        return response

    def _transfer(
        self,
        request: Request,
        environ: WSGIEnvironment,
        endpoint: str,
        job_id: str,
        fault: Fault | None,
        headers: dict[str, str],
    ) -> Answer:
        """An upload or download, with its injected fault: a drop cuts the body half-way
        (half the upload read, half the results sent); the other kinds answer an error,
        before the transfer or, with ``processed``, after it."""
        drop = fault is not None and fault.kind == "drop"
        if fault is not None and not drop and not fault.processed:
            if endpoint == "upload":
                drain(environ)
            return Answer(self._fault_answer(fault, endpoint, headers))
        if endpoint == "upload":
            response = self.transfers.upload(
                request, environ, job_id, drop and not (fault and fault.processed)
            )
            if response is None:
                return Answer(None, dropped=True)
            if drop:  # processed: the upload is in, its answer is lost
                response.headers.update(headers)
                return Answer(response, cut=True, dropped=True)
        else:
            response = self.transfers.download(request, environ, job_id, drop)
            if drop and response.status_code in (200, 206):
                response.headers.update(headers)
                return Answer(response, dropped=True)
        if fault is not None and not drop:
            return Answer(self._fault_answer(fault, endpoint, headers))
        response.headers.update(headers)
        return Answer(response)


def _route(method: str, path: str, flow: str) -> tuple[str | None, str | None]:
    """Which endpoint a request is for, and its job id: ``create``, ``list``, ``get``,
    ``cancel`` / ``upload`` / ``download`` (byte-path flow), ``method`` (a known path with
    the wrong verb, such as ``DELETE`` of a job in the gcs flow) or None (unknown path)."""
    path = path.rstrip("/") or "/"
    if path == JOBS_PATH:
        if method == "POST":
            return "create", None
        return ("list", None) if method == "GET" else ("method", None)
    if not path.startswith(JOBS_PATH + "/"):
        return None, None
    parts = path[len(JOBS_PATH) + 1 :].split("/")
    if len(parts) == 1:
        verbs = {"GET": "get", "DELETE": "cancel"} if flow == "bytepath" else {"GET": "get"}
        return (verbs[method], parts[0]) if method in verbs else ("method", None)
    if len(parts) == 2 and flow == "bytepath" and parts[1] in TRANSFERS:
        wanted = "PUT" if parts[1] == "upload" else "GET"
        return (parts[1], parts[0]) if method == wanted else ("method", None)
    return None, None
