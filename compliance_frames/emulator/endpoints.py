"""The job endpoints of the API host: create, list, get and (byte-path flow) cancel, with
their validation. The gcs flow (OpenAPI 2.159) has no cancel: :mod:`.api` answers a
``DELETE`` there 405, as any wrong verb.

``compliance_job.fields`` (comma-separated job field names) is accepted on every
operation that answers a job, and an unknown name in it is a 400. The fields the OpenAPI
schema requires (id, type, status, created_at and the two URLs with their expiries) are
always there, and ``error`` when the job has failed. The optional ones, ``name`` and
``resumable``:

- byte-path flow: only when asked for. Whether the real service still sends every field
  without the parameter is unconfirmed; the emulator takes the strict reading, so that a
  client that needs the name of its jobs learns to ask for it;
- gcs flow: always, with or without the parameter, as recorded real answers have them
  (the parameter is only validated).

Example:
    >>> from compliance_frames.emulator.config import EmulatorConfig
    >>> from compliance_frames.emulator.state import EmulatorState
    >>> from werkzeug.test import EnvironBuilder
    >>> state = EmulatorState.create(
    ...     EmulatorConfig(), data_dir="/tmp", api_origin="http://127.0.0.1:1"
    ... )
    >>> jobs = JobEndpoints(state, Answers("2.168"))
    >>> request = EnvironBuilder(method="POST", json={"type": "users"}).get_request()
    >>> job = json.loads(jobs.create(request).get_data())["data"]
    >>> job["upload_url"].startswith(f"http://127.0.0.1:1/2/compliance/jobs/{job['id']}/upload?")
    True
    >>> "name" in job, "resumable" in job
    (False, False)
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Collection
from typing import Any

from werkzeug.wrappers import Request, Response

from . import bodies
from .answers import Answers
from .config import JOB_TYPES
from .jobs import Job
from .state import APP_ID, EmulatorState

JOBS_PATH = "/2/compliance/jobs"
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
FIELDS = "compliance_job.fields"
BUCKETS = {"tweets": "twttr-tweet-compliance", "users": "twttr-user-compliance"}
RESUMABLE_REFUSED = "resumable uploads are not supported; create the job without it"


class JobEndpoints:
    """Create, list, get and (byte-path flow) cancel, over the shared state."""

    def __init__(self, state: EmulatorState, answers: Answers) -> None:
        self.state = state
        self.answers = answers
        self._shuffle = random.Random(state.config.seed)

    # -- endpoints ------------------------------------------------------------------

    def create(self, request: Request) -> Response:
        """``POST /2/compliance/jobs``."""
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return self.answers.invalid(
                [bodies.parameter_error("body", [], "The request body is not valid JSON.")]
            )
        if not isinstance(body, dict):
            return self.answers.invalid(
                [bodies.parameter_error("body", [], "The request body must be a JSON object.")]
            )
        errors = _create_errors(body, self.state.config.flow) + fields_errors(request)
        if errors:
            return self.answers.invalid(errors)
        state = self.state
        job_type = body["type"]
        with state.store.lock:
            now = state.now()
            if any(state.blocks_new_job(job, now) for job in state.store.newest_first(job_type)):
                return self.answers.problem(bodies.conflict(), 409)
            job = self._new_job(job_type, body.get("name"), bool(body.get("resumable", False)), now)
            state.store.add(job)
        return self.answers.json({"data": self.job_json(job, request)})

    def list(self, request: Request) -> Response:
        """``GET /2/compliance/jobs?type=...``."""
        errors = []
        for key in request.args:
            if key not in ("type", "status", FIELDS):
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
        errors.extend(fields_errors(request))
        if errors:
            return self.answers.invalid(errors)
        now = self.state.now()
        jobs = [
            job
            for job in self.state.store.newest_first(job_type)
            if status is None or job.status(now) == status
        ]
        body: dict[str, Any] = {}
        if jobs:
            body["data"] = [self.job_json(job, request, now) for job in jobs]
        body["meta"] = {"result_count": len(jobs)}
        return self.answers.json(body)

    def get(self, request: Request, job_id: str) -> Response:
        """``GET /2/compliance/jobs/{id}``."""
        job = self._one_job(request, job_id)
        if isinstance(job, Response):
            return job
        return self.answers.json({"data": self.job_json(job, request)})

    def cancel(self, request: Request, job_id: str) -> Response:
        """``DELETE /2/compliance/jobs/{id}`` (byte-path flow): an unfinished job becomes
        ``failed``."""
        job = self._one_job(request, job_id)
        if isinstance(job, Response):
            return job
        finished = self.state.cancel(job)
        if finished is not None:
            return self.answers.problem(
                bodies.state_conflict(
                    f"Job {job.id} has already finished (status {finished}): only a job that "
                    "is created or in_progress can be cancelled."
                ),
                409,
            )
        return self.answers.json({"data": self.job_json(job, request)})

    # -- shared ---------------------------------------------------------------------

    def job_json(self, job: Job, request: Request, now: float | None = None) -> dict[str, Any]:
        """The job object as this request asks for it (``compliance_job.fields``)."""
        now = self.state.now() if now is None else now
        rng = self._shuffle if self.state.config.shuffle_keys else None
        optional = optional_fields(request, self.state.config.flow)
        with self.state.store.lock:
            return job.to_json(now, rng, optional)

    def _one_job(self, request: Request, job_id: str) -> Job | Response:
        """The job of a by-id request, or the answer to give instead."""
        errors = [
            bodies.parameter_error(
                key,
                request.args.getlist(key),
                f"The query parameter [{key}] is not one of [id,compliance_job.fields]",
            )
            for key in request.args
            if key != FIELDS
        ]
        if not JOB_ID.match(job_id):
            errors.append(
                bodies.parameter_error(
                    "id",
                    [job_id],
                    f"The `id` query parameter value [{job_id}] does not match ^[0-9]{{1,19}}$",
                )
            )
        errors.extend(fields_errors(request))
        if errors:
            return self.answers.invalid(errors)
        job = self.state.store.get(job_id)
        if job is None:
            return self.answers.json({"errors": [bodies.not_found(job_id)]})
        return job

    def _new_job(self, job_type: str, name: str | None, resumable: bool, now: float) -> Job:
        state = self.state
        created = float(int(now))
        job_id = state.store.next_id(now)
        if state.config.flow == "bytepath":
            upload_url, download_url = self._transfer_urls(job_id, created)
        else:
            upload_url, download_url = self._signed_urls(job_type, job_id, created, resumable)
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

    def _transfer_urls(self, job_id: str, created: float) -> tuple[str, str]:
        """Byte-path flow: upload and download on the API host, each with its own token."""
        state = self.state
        base = f"{state.api_origin}{JOBS_PATH}/{job_id}"
        up = state.tokens.mint(job_id, "upload", expires_at=created + state.config.upload_window)
        down = state.tokens.mint(
            job_id, "download", expires_at=created + state.config.download_window
        )
        return f"{base}/upload?token={up}", f"{base}/download?token={down}"

    def _signed_urls(
        self, job_type: str, job_id: str, created: float, resumable: bool
    ) -> tuple[str, str]:
        """gcs flow: Cloud Storage signed URLs on the storage host."""
        state = self.state
        signer = state.url_signer()
        folder = f"/{BUCKETS[job_type]}/{job_id}"
        host = signer.origin.split("://", 1)[1]
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
        upload_url = signer.sign(
            upload_method,
            f"{folder}/submission/{APP_ID}_{job_id}",
            upload_headers,
            issued=created,
            expires_in=int(state.config.upload_window),
        )
        download_url = signer.sign(
            "GET",
            f"{folder}/delivery/{APP_ID}_{job_id}",
            {"host": host},
            issued=created,
            expires_in=int(state.config.download_window),
        )
        return upload_url, download_url


def optional_fields(request: Request, flow: str) -> Collection[str] | None:
    """The optional job fields an answer carries: None for all of them (always, in the
    gcs flow).

    Example:
        >>> from werkzeug.test import EnvironBuilder
        >>> plain = EnvironBuilder().get_request()
        >>> optional_fields(plain, "bytepath"), optional_fields(plain, "gcs")
        ((), None)
        >>> asked = EnvironBuilder(query_string="compliance_job.fields=id,name").get_request()
        >>> sorted(optional_fields(asked, "bytepath")), optional_fields(asked, "gcs")
        (['id', 'name'], None)
    """
    if flow != "bytepath":
        return None
    value = request.args.get(FIELDS)
    return () if value is None else set(value.split(","))


def fields_errors(request: Request) -> list[dict[str, Any]]:
    """The invalid-request errors of an unknown name in ``compliance_job.fields``."""
    value = request.args.get(FIELDS)
    if value is None:
        return []
    bad = [field for field in value.split(",") if field not in JOB_FIELDS]
    if not bad:
        return []
    return [
        bodies.parameter_error(
            FIELDS,
            bad,
            f"The `compliance_job.fields` query parameter value [{','.join(bad)}] is not one of "
            f"[{','.join(JOB_FIELDS)}]",
        )
    ]


def _create_errors(body: dict[str, Any], flow: str) -> list[dict[str, Any]]:
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
    elif resumable is True and flow == "bytepath":
        errors.append(bodies.parameter_error("resumable", ["true"], RESUMABLE_REFUSED))
    return errors
