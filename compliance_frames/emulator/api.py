"""The API host: ``POST/GET /2/compliance/jobs`` and ``GET /2/compliance/jobs/<id>``.

A WSGI application over :class:`~compliance_frames.emulator.state.EmulatorState`.
Each request is authenticated, counted against its endpoint's rate window, given a
chance to fail by an injected fault, validated, and answered as the real API does.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from . import bodies
from .config import JOB_TYPES
from .jobs import Job
from .state import APP_ID, EmulatorState, LoggedRequest
from .wire import drop_connection

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

JOBS_PATH = "/2/compliance/jobs"
API_VERSION = "2.159"
JOB_ID = re.compile(r"^[0-9]{1,19}$")
LIST_STATUSES = ("created", "in_progress", "failed", "complete")
JOB_FIELDS = (
    "created_at",
    "download_expires_at",
    "download_url",
    "id",
    "name",
    "resumable",
    "status",
    "type",
    "upload_expires_at",
    "upload_url",
)
BUCKETS = {"tweets": "twttr-tweet-compliance", "users": "twttr-user-compliance"}


class ApiApp:
    """WSGI app of the API host."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._shuffle = random.Random(state.config.seed)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        endpoint, job_id = _route(request)
        response, drop = self._answer(request, endpoint, job_id)
        self.state.log.add(
            LoggedRequest(
                host="api",
                method=request.method,
                path=request.path,
                query=dict(request.args),
                status=None if drop else response.status_code,
                authorization=request.headers.get("Authorization"),
                content_type=request.content_type,
                content_length=request.content_length,
                at=self.state.now(),
            )
        )
        if drop:
            return _half_then_drop(response, environ, start_response)
        return response(environ, start_response)

    # -- the steps every request goes through ---------------------------------------

    def _answer(
        self, request: Request, endpoint: str | None, job_id: str | None
    ) -> tuple[Response, bool]:
        """The response, and whether to drop the connection half-way through it."""
        if endpoint is None:
            return _json(
                {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}, 404
            ), False
        if endpoint == "method":
            body = {
                "title": "Method Not Allowed",
                "type": "about:blank",
                "status": 405,
                "detail": f"{request.method} is not supported on {request.path}",
            }
            return _problem(body, 405), False
        limiter = self.state.limiter
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        if token == self.state.user_token:
            return _problem(
                bodies.unsupported_authentication(), 403, limiter.headers(endpoint)
            ), False
        if token != self.state.bearer_token:
            return _problem(bodies.unauthorized(), 401, limiter.headers(endpoint)), False
        if not self.state.config.enrolled:
            return _problem(bodies.client_forbidden(), 403, limiter.headers(endpoint)), False
        allowed, headers = limiter.hit(endpoint)
        if not allowed:
            return _problem(bodies.too_many_requests(), 429, headers), False
        fault = self.state.faults.take(endpoint)
        if fault is None:
            return self._handle(request, endpoint, job_id, headers), False
        if fault.processed:
            handled = self._handle(request, endpoint, job_id, headers)
            if fault.kind == "drop":
                return handled, True
        if fault.kind == "drop":
            return _problem(bodies.server_error(503), 503, headers), True
        if fault.kind == "429":
            return _problem(
                bodies.too_many_requests(), 429, limiter.exhausted_headers(endpoint)
            ), False
        if fault.kind == "usage-cap":
            return _problem(bodies.usage_capped(), 429, headers), False
        status = int(fault.kind)
        return _problem(bodies.server_error(status), status, headers), False

    def _handle(
        self, request: Request, endpoint: str, job_id: str | None, headers: dict[str, str]
    ) -> Response:
        if endpoint == "create":
            response = self._create(request)
        elif endpoint == "list":
            response = self._list(request)
        else:
            assert job_id is not None
            response = self._get(request, job_id)
        response.headers.update(headers)
        return response

    # -- endpoints ------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return _invalid(
                [bodies.parameter_error("body", [], "The request body is not valid JSON.")]
            )
        if not isinstance(body, dict):
            return _invalid(
                [bodies.parameter_error("body", [], "The request body must be a JSON object.")]
            )
        errors = _create_errors(body)
        if errors:
            return _invalid(errors)
        state = self.state
        job_type = body["type"]
        with state.store.lock:
            now = state.now()
            if any(job.status(now) == "in_progress" for job in state.store.newest_first(job_type)):
                return _problem(bodies.conflict(), 409)
            job = self._new_job(job_type, body.get("name"), bool(body.get("resumable", False)), now)
            state.store.add(job)
        return _json({"data": self._job_json(job)})

    def _new_job(self, job_type: str, name: str | None, resumable: bool, now: float) -> Job:
        state = self.state
        created = float(int(now))
        job_id = state.store.next_id(now)
        folder = f"/{BUCKETS[job_type]}/{job_id}"
        host = state.signer.origin.split("://", 1)[1]
        if resumable:
            upload_headers = {
                "content-length": "0",
                "content-type": "text/plain",
                "host": host,
                "x-goog-resumable": "start",
            }
            upload_method = "POST"
        else:
            upload_headers = {"content-type": "text/plain", "host": host}
            upload_method = "PUT"
        upload_url = state.signer.sign(
            upload_method,
            f"{folder}/submission/{APP_ID}_{job_id}",
            upload_headers,
            issued=created,
            expires_in=int(state.config.upload_window),
        )
        download_url = state.signer.sign(
            "GET",
            f"{folder}/delivery/{APP_ID}_{job_id}",
            {"host": host},
            issued=created,
            expires_in=int(state.config.download_window),
        )
        job = Job(
            id=job_id,
            type=job_type,
            name=name,
            resumable=resumable,
            created_at=created,
            upload_url=upload_url,
            download_url=download_url,
            upload_window=state.config.upload_window,
            download_window=state.config.download_window,
        )
        fate = state.take_fate(job_type)
        if fate is not None:
            job.fate, job.fate_error = fate.kind, fate.error
        return job

    def _list(self, request: Request) -> Response:
        errors = []
        for key in request.args:
            if key not in ("type", "status", "compliance_job.fields"):
                errors.append(
                    bodies.parameter_error(
                        key,
                        request.args.getlist(key),
                        f"The query parameter [{key}] is not one of "
                        "[type,status,compliance_job.fields]",
                    )
                )
        job_type = request.args.get("type")
        if job_type is None:
            errors.append(
                bodies.parameter_error("type", [], "The `type` query parameter can not be empty")
            )
        elif job_type not in JOB_TYPES:
            errors.append(
                bodies.parameter_error(
                    "type",
                    [job_type],
                    f"The `type` query parameter value [{job_type}] is not one of [tweets,users]",
                )
            )
        status = request.args.get("status")
        if status is not None and status not in LIST_STATUSES:
            errors.append(
                bodies.parameter_error(
                    "status",
                    [status],
                    f"The `status` query parameter value [{status}] is not one of "
                    f"[{','.join(LIST_STATUSES)}]",
                )
            )
        errors.extend(_fields_errors(request))
        if errors:
            return _invalid(errors)
        now = self.state.now()
        jobs = [
            job
            for job in self.state.store.newest_first(job_type)
            if status is None or job.status(now) == status
        ]
        body: dict[str, Any] = {}
        if jobs:
            body["data"] = [self._job_json(job, now) for job in jobs]
        body["meta"] = {"result_count": len(jobs)}
        return _json(body)

    def _get(self, request: Request, job_id: str) -> Response:
        errors = [
            bodies.parameter_error(
                key,
                request.args.getlist(key),
                f"The query parameter [{key}] is not one of [id,compliance_job.fields]",
            )
            for key in request.args
            if key != "compliance_job.fields"
        ]
        if not JOB_ID.match(job_id):
            errors.append(
                bodies.parameter_error(
                    "id",
                    [job_id],
                    f"The `id` query parameter value [{job_id}] does not match ^[0-9]{{1,19}}$",
                )
            )
        errors.extend(_fields_errors(request))
        if errors:
            return _invalid(errors)
        job = self.state.store.get(job_id)
        if job is None:
            return _json({"errors": [bodies.not_found(job_id)]})
        return _json({"data": self._job_json(job)})

    def _job_json(self, job: Job, now: float | None = None) -> dict[str, Any]:
        now = self.state.now() if now is None else now
        rng = self._shuffle if self.state.config.shuffle_keys else None
        with self.state.store.lock:
            return job.to_json(now, rng)


def _route(request: Request) -> tuple[str | None, str | None]:
    """Which endpoint a request is for: create, list, get, 'method' (wrong verb) or None."""
    path = request.path.rstrip("/") or "/"
    if path == JOBS_PATH:
        if request.method == "POST":
            return "create", None
        return ("list", None) if request.method == "GET" else ("method", None)
    if path.startswith(JOBS_PATH + "/") and path.count("/") == 4:
        return ("get", path.rsplit("/", 1)[1]) if request.method == "GET" else ("method", None)
    return None, None


def _create_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for key in body:
        if key not in ("type", "name", "resumable"):
            errors.append(
                bodies.parameter_error(
                    key,
                    [json.dumps(body[key])],
                    f"The body parameter [{key}] is not one of [type,name,resumable]",
                )
            )
    job_type = body.get("type")
    if job_type is None:
        errors.append(bodies.parameter_error("type", [], "The `type` body parameter is required"))
    elif job_type not in JOB_TYPES:
        errors.append(
            bodies.parameter_error(
                "type",
                [str(job_type)],
                f"The `type` body parameter value [{job_type}] is not one of [tweets,users]",
            )
        )
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 64):
        errors.append(
            bodies.parameter_error(
                "name",
                [str(name)],
                "The `name` body parameter must be a string of at most 64 characters",
            )
        )
    resumable = body.get("resumable")
    if resumable is not None and not isinstance(resumable, bool):
        errors.append(
            bodies.parameter_error(
                "resumable",
                [json.dumps(resumable)],
                f"The `resumable` body parameter value [{json.dumps(resumable)}] is not a boolean",
            )
        )
    return errors


def _fields_errors(request: Request) -> list[dict[str, Any]]:
    value = request.args.get("compliance_job.fields")
    if value is None:
        return []
    bad = [field for field in value.split(",") if field not in JOB_FIELDS]
    if not bad:
        return []
    return [
        bodies.parameter_error(
            "compliance_job.fields",
            bad,
            f"The `compliance_job.fields` query parameter value [{','.join(bad)}] is not one of "
            f"[{','.join(JOB_FIELDS)}]",
        )
    ]


def _headers() -> dict[str, str]:
    return {"api-version": API_VERSION, "cache-control": "no-cache, no-store, max-age=0"}


def _json(body: dict[str, Any], status: int = 200) -> Response:
    response = Response(
        json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    response.headers.update(_headers())
    return response


def _problem(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    response = Response(
        json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/problem+json",
    )
    response.headers.update(_headers())
    if headers:
        response.headers.update(headers)
    return response


def _invalid(errors: list[dict[str, Any]]) -> Response:
    return _problem(bodies.invalid_request(errors), 400)


def _half_then_drop(
    response: Response, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterator[bytes]:
    """Send the headers and half of the body, then close the connection."""
    body = response.get_data()
    start_response(response.status, list(response.headers.items()))
    return drop_connection(environ, body[: len(body) // 2])
