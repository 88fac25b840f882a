"""The answers the real hosts give when something is wrong, byte for byte where known.

API problems are RFC 7807 JSON objects (``application/problem+json``), valid against
the Problem schema of the OpenAPI description; storage errors (gcs flow) are Google
Cloud Storage XML.

Example:
    >>> unauthorized()["detail"]
    'Unauthorized'
    >>> payload_too_large(100)["status"]
    413
    >>> xml_error("ExpiredToken", "Invalid argument.")[:45]
    b"<?xml version='1.0' encoding='UTF-8'?><Error>"
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

PROBLEMS = "https://api.twitter.com/2/problems/"


def unauthorized() -> dict[str, Any]:
    """401: missing or wrong bearer token."""
    return {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


def too_many_requests() -> dict[str, Any]:
    """429: the rate window is used up."""
    return {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }


def usage_capped() -> dict[str, Any]:
    """429: the monthly usage cap is reached; waiting for the window does not help."""
    return {
        "title": "UsageCapExceeded",
        "detail": "Usage cap exceeded: Monthly product cap",
        "type": PROBLEMS + "usage-capped",
        "period": "Monthly",
        "scope": "Product",
        "status": 429,
    }


def unsupported_authentication() -> dict[str, Any]:
    """403: a user-context token where an app-only bearer token is required."""
    return {
        "title": "Unsupported Authentication",
        "detail": "Authenticating with OAuth 2.0 User Context is forbidden for this endpoint. "
        "Supported authentication types are [OAuth 2.0 Application-Only].",
        "type": PROBLEMS + "unsupported-authentication",
        "status": 403,
    }


def client_forbidden() -> dict[str, Any]:
    """403: the app's plan does not include batch compliance."""
    return {
        "client_id": "0",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
        "and tokens from a Twitter developer App that is attached to a Project. You can create a "
        "project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": PROBLEMS + "client-forbidden",
        "status": 403,
    }


def conflict() -> dict[str, Any]:
    """409: a job of this type is already in progress."""
    return {
        "title": "Conflict",
        "detail": "You cannot create a new job if one is already in progress.",
        "type": PROBLEMS + "conflict",
        "status": 409,
    }


def state_conflict(detail: str) -> dict[str, Any]:
    """409: the job's status does not allow this (an upload to a job already uploaded, a
    download before completion, a cancel of a finished job)."""
    return {"title": "Conflict", "detail": detail, "type": PROBLEMS + "conflict", "status": 409}


def forbidden(detail: str) -> dict[str, Any]:
    """403: the transfer token is missing, malformed, another job's or purpose's, or expired."""
    return {"title": "Forbidden", "detail": detail, "type": "about:blank", "status": 403}


def no_such_job(job_id: str) -> dict[str, Any]:
    """404: an upload or download for a job that does not exist."""
    return {
        "title": "Not Found",
        "detail": f"There is no compliance job with id {job_id}.",
        "type": "about:blank",
        "status": 404,
    }


def unsupported_media_type(given: str | None, accepted: tuple[str, ...]) -> dict[str, Any]:
    """415: an upload whose Content-Type is neither of the accepted ones."""
    return {
        "title": "Unsupported Media Type",
        "detail": f"The upload's Content-Type {given or '(none)'!s} is not supported; send the IDs "
        f"as {' or '.join(accepted)}, one decimal ID per line.",
        "type": "about:blank",
        "status": 415,
    }


def payload_too_large(limit: int, size: int | None = None) -> dict[str, Any]:
    """413: an upload over the size limit."""
    has = f"The upload has {size} bytes; " if size is not None else "The upload is too large; "
    return {
        "title": "Payload Too Large",
        "detail": f"{has}at most {limit} bytes are accepted per job. Split the IDs into several "
        "jobs (one after the other: one job of a type may be active at a time).",
        "type": "about:blank",
        "status": 413,
    }


def range_not_satisfiable(job_id: str, size: int, asked: str | None) -> dict[str, Any]:
    """416: a download range beyond the results file (byte-path flow)."""
    return {
        "title": "Range Not Satisfiable",
        "detail": f"The results of job {job_id} have {size} bytes; "
        f"the range {asked} is outside them.",
        "type": "about:blank",
        "status": 416,
    }


def invalid_request(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """400: one or more parameters were invalid; ``errors`` says which."""
    return {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": PROBLEMS + "invalid-request",
        "status": 400,
    }


def parameter_error(parameter: str, values: list[str], message: str) -> dict[str, Any]:
    """One item of an invalid-request ``errors`` array."""
    return {"parameters": {parameter: values}, "message": message}


def not_found(job_id: str) -> dict[str, Any]:
    """The ``errors`` item for an unknown job id (answered with status 200)."""
    return {
        "value": job_id,
        "detail": f"Could not find compliance job with id: [{job_id}].",
        "title": "Not Found Error",
        "resource_type": "compliance_job",
        "parameter": "id",
        "resource_id": job_id,
        "type": PROBLEMS + "resource-not-found",
    }


def server_error(status: int) -> dict[str, Any]:
    """500 or 503 from the API host."""
    title = "Service Unavailable" if status == 503 else "Internal Server Error"
    return {"title": title, "detail": title, "type": "about:blank", "status": status}


def xml_error(code: str, message: str, details: str | None = None) -> bytes:
    """A Google Cloud Storage XML error document."""
    parts = [f"<Code>{escape(code)}</Code>", f"<Message>{escape(message)}</Message>"]
    if details:
        parts.append(f"<Details>{escape(details)}</Details>")
    return ("<?xml version='1.0' encoding='UTF-8'?><Error>" + "".join(parts) + "</Error>").encode()
