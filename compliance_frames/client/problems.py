"""Turn the API's and the storage host's error answers into exceptions that say what to do.

Everything taken from an answer (a problem's title and detail, its body, an error page,
an XML error, the reason phrase) goes through a mask first, so that a server echoing
the bearer token back never puts it in a message or an exception's attributes: the
caller's (``mask=transport.mask``), else one for the token the request carried.

Example:
    >>> parse_xml_error(b"<Error><Code>ExpiredToken</Code><Message>Gone</Message></Error>")
    ('ExpiredToken', 'Gone', None)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import requests

from ..errors import (
    AccessDeniedError,
    APIError,
    AuthenticationError,
    ConflictError,
    DownloadError,
    DownloadURLExpiredError,
    InvalidRequestError,
    JobNotFoundError,
    RateLimitError,
    ServerError,
    TransferError,
    UploadError,
    UploadTooLargeError,
    UploadURLExpiredError,
    URLExpiredError,
    UsageCapError,
)
from ..hints import Choice, Command, Environment, Hint, Spelled
from .polling import reset_epoch
from .transport import Token

PROBLEMS = "/2/problems/"
_SNIPPET = 200
_READ = 20000
_COUNT = re.compile(r"[0-9]{1,9}")

Mask = Callable[[str], str]
"""Hides the bearer token in a text from a server (:meth:`Transport.mask`)."""


def masked(value: Any, mask: Mask) -> Any:
    """``value`` (JSON: strings, numbers, lists, objects) with ``mask`` applied to every
    string in it, keys included.

    Example:
        >>> masked({"detail": ["Bearer s3cret-token"], "n": 1}, Token("s3cret-token").mask)
        {'detail': ['Bearer ***'], 'n': 1}
    """
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {masked(key, mask): masked(item, mask) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(item, mask) for item in value]
    return value


def _mask_for(response: requests.Response, mask: Mask | None) -> Mask:
    """The caller's mask, else one for the bearer token the request carried (if any)."""
    if mask is not None:
        return mask
    request = response.request
    sent = request.headers.get("Authorization", "") if request is not None else ""
    scheme, _, token = sent.partition(" ")
    return Token(token).mask if scheme.lower() == "bearer" and token else Token("").mask


def _cut(text: str, limit: int = 500) -> str:
    """``text`` shortened to ``limit`` characters for a message (a server may say a lot)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _snippet(response: requests.Response, mask: Mask) -> str:
    """The start of an answer's text, masked, tags and runs of blanks dropped."""
    text = mask(response.text)[:_READ]  # masked whole: no cut leaves part of a token
    if "html" in response.headers.get("Content-Type", "").lower():
        text = re.sub(r"<[^>]*>", " ", text)
    return _cut(re.sub(r"\s+", " ", text).strip(), _SNIPPET)


def json_body(response: requests.Response) -> Any:
    """The answer's JSON, or None if it has none."""
    try:
        return response.json()
    except ValueError:
        return None


def api_error(response: requests.Response, context: str, *, mask: Mask | None = None) -> APIError:
    """The exception for an API answer that is not a success; ``mask`` hides the bearer
    token in all that comes from the answer (see the module's docstring).

    Example:
        >>> answer = requests.Response()
        >>> answer.status_code, answer._content = 400, b'{"detail": "Bearer s3cret-token?"}'
        >>> error = api_error(answer, "listing jobs", mask=Token("s3cret-token").mask)
        >>> str(error), error.detail
        ('X refused the request (listing jobs): Bearer ***?', 'Bearer ***?')
    """
    mask = _mask_for(response, mask)
    body = masked(json_body(response), mask)
    problem: dict[str, Any] = body if isinstance(body, dict) else {}
    status = response.status_code
    phrase = mask(response.reason or "")  # the status line's, as the server wrote it
    problem_type = str(problem.get("type", ""))
    detail = problem.get("detail")
    fields: dict[str, Any] = {
        "status": status,
        "problem_type": problem_type or None,
        "title": problem.get("title"),
        "detail": detail,
        "body": body,
    }
    if problem_type.endswith(PROBLEMS + "conflict") or status == 409:
        return ConflictError(
            f"X allows one job in progress per type, and one is running ({context}). "
            "Wait for it to finish, then try again.",
            **fields,
        )
    if status == 401:
        return AuthenticationError(
            f"X refused the bearer token (401 Unauthorized) while {context}.",
            hint=Hint(
                Choice(
                    "check ",
                    Environment("BEARER_TOKEN"),
                    Spelled(" (or Client(bearer_token=...))", ""),
                    ": it must be the app-only bearer token of an app in a Project, from the "
                    "developer portal's 'Keys and tokens' page",
                )
            ),
            **fields,
        )
    if status == 403:
        reason = problem.get("reason")
        if problem_type.endswith(PROBLEMS + "unsupported-authentication"):
            message = (
                f"X refused a user-context token while {context} (403 unsupported-authentication). "
                "Batch compliance needs the app-only bearer token (OAuth 2.0 Application-Only) "
                "from the developer portal's 'Keys and tokens' page."
            )
        else:
            where = problem.get("registration_url")
            why = reason or problem.get("title") or "Forbidden"
            message = (
                f"X refused access while {context} (403 {why}). "
                "Since 2024 the batch compliance endpoints need a paid API plan: check that your "
                "plan includes batch compliance and that the app belongs to a Project"
                + (f" ({where})." if where else ".")
            )
        return AccessDeniedError(message, reason=reason, **fields)
    if status == 429:
        if problem_type.endswith(PROBLEMS + "usage-capped"):
            return UsageCapError(
                f"Your plan's usage cap is reached ({detail or 'usage-capped'}) while {context}. "
                "Waiting a few minutes will not help: wait for the next billing period or "
                "raise the cap in the developer portal.",
                **fields,
            )
        reset = reset_epoch(response.headers.get("x-rate-limit-reset"))
        reset_at = None if reset is None else datetime.fromtimestamp(reset, tz=timezone.utc)
        when = f" at {reset_at:%H:%M:%S} UTC" if reset_at else " (X did not say when)"
        limit = response.headers.get("x-rate-limit-limit", "").strip()
        allowed = f"{limit} requests" if _COUNT.fullmatch(limit) else "a fixed number of requests"
        return RateLimitError(
            f"Rate limit reached while {context}: X allows {allowed} per endpoint per "
            f"window (150 per 15 minutes for compliance jobs). The window reopens{when}; "
            "try again then.",
            reset_at=reset_at,
            **fields,
        )
    if problem_type.endswith(PROBLEMS + "resource-not-found") or status == 404:
        return JobNotFoundError(
            f"No such compliance job ({context}).",
            hint=Hint(Choice("list your jobs with ", Command("list", "Client().list_jobs()"))),
            job_id=problem.get("value"),
            **fields,
        )
    if status == 400:
        errors = problem.get("errors") or []
        said = (
            "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
            or detail
            or _snippet(response, mask)
            or "no reason given"
        )
        return InvalidRequestError(
            f"X refused the request ({context}): {_cut(said)}", errors=errors, **fields
        )
    if status >= 500:
        title = problem.get("title")
        came = "" if title else f" It answered: {_snippet(response, mask) or '(nothing)'}."
        return ServerError(
            f"X's API failed while {context} ({status} {title or phrase}), also on retrying. "
            f"The trouble is on X's side: try again in a few minutes.{came}",
            **fields,
        )
    return APIError(
        f"Unexpected answer while {context}: {status} {phrase}: {_snippet(response, mask)}",
        **fields,
    )


def not_found_in_body(body: Any) -> bool:
    """True for a 200 answer that only carries a resource-not-found error."""
    if not isinstance(body, dict) or "data" in body:
        return False
    errors = body.get("errors") or []
    return any(
        str(e.get("type", "")).endswith("resource-not-found") for e in errors if isinstance(e, dict)
    )


def parse_xml_error(content: bytes) -> tuple[str | None, str | None, str | None]:
    """(code, message, details) of a Google Cloud Storage XML error, or Nones."""
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None, None, None
    return root.findtext("Code"), root.findtext("Message"), root.findtext("Details")


def transfer_error(
    response: requests.Response, *, upload: bool, what: str, mask: Mask | None = None
) -> TransferError | APIError:
    """The exception for a transfer (upload or download) answer that is not a success.

    Byte-path transfers on the API host answer with JSON problems; signed URLs on a
    storage host with Google Cloud Storage's XML errors. Both are understood.
    A 401 to a request that carried no token (one to another origin than the API's)
    is said as such, not as a wrong token. ``mask`` hides the bearer token in what
    comes from the answer (by default: the token the request carried, if any).

    Example:
        >>> answer = requests.Response()
        >>> answer.status_code, answer._content = 404, b"<Error><Code>NoSuchKey</Code></Error>"
        >>> transfer_error(answer, upload=False, what="job 1").code
        'NoSuchKey'
    """
    mask = _mask_for(response, mask)
    content_type = response.headers.get("Content-Type", "").lower()
    token_sent = response.request is not None and "Authorization" in response.request.headers
    if response.status_code == 401 and not token_sent:
        kind: type[TransferError] = UploadError if upload else DownloadError
        host = urlsplit(response.url).netloc
        return kind(
            f"{host} asked for credentials for the {'upload' if upload else 'download'} of "
            f"{what} (401). The bearer token goes only to the API's own origin, and this URL is "
            "elsewhere. If X moved hosts (api.twitter.com to api.x.com, say), set "
            "X_API_BASE_URL (or Client(base_url=...)) to the host the job's URLs are on.",
            status=401,
        )
    if "json" in content_type:
        return _problem_transfer_error(response, upload=upload, what=what, mask=mask)
    return _storage_error(response, upload=upload, what=what, mask=mask)


_LIMIT_IN_DETAIL = re.compile(r"(\d[\d,]*)\s*bytes", re.IGNORECASE)


def _problem_transfer_error(
    response: requests.Response, *, upload: bool, what: str, mask: Mask
) -> TransferError | APIError:
    body = masked(json_body(response), mask)
    problem: dict[str, Any] = body if isinstance(body, dict) else {}
    status = response.status_code
    title = str(problem.get("title") or mask(response.reason or ""))
    detail = str(problem.get("detail") or "")
    said = _cut(": ".join(part for part in (title, detail) if part))
    code = str(problem.get("type") or "") or None
    account = code is not None and code.endswith(
        (PROBLEMS + "unsupported-authentication", PROBLEMS + "client-forbidden")
    )
    if status in (401, 429) or account:  # the token or the plan, as on any API call
        context = f"{'uploading to' if upload else 'downloading from'} {what}"
        return api_error(response, context, mask=mask)
    if status == 413:
        # The smallest byte count the detail names is the limit ("N bytes; at most M bytes").
        sizes = [int(found.replace(",", "")) for found in _LIMIT_IN_DETAIL.findall(detail)]
        limit = min(sizes) if sizes else None
        return UploadTooLargeError(
            f"X refused the upload to {what} as too large (413: {said}).",
            hint=Hint(
                Choice(
                    "split the IDs into several jobs",
                    Spelled(" (Client(max_upload_bytes=...) sets the size of each)", ""),
                    ": ",
                    Command("all", "run_job()"),
                    " and ",
                    Command("check", "df.compliance.check()"),
                    " do this by themselves",
                )
            ),
            status=status,
            code=code,
            limit=limit,
        )
    if status == 403 and "expir" in said.lower():  # an expired transfer token
        return url_expired(upload=upload, what=what, status=status, code=code, said=said)
    kind: type[TransferError] = UploadError if upload else DownloadError
    transfer = "upload" if upload else "download"
    hint = ""
    if status == 403:
        hint = (
            f" The token in the {transfer} URL was refused: use the URL exactly as the job "
            "gives it (get the job again), or cancel the job and create another."
        )
    return kind(
        f"X refused the {transfer} of {what} ({status}: {said or 'no reason given'}).{hint}",
        status=status,
        code=code,
    )


def url_expired(
    *, upload: bool, what: str, status: int, code: str | None, said: str | None = None
) -> URLExpiredError:
    """The error of an expired upload or download URL (either flow), with what X said.

    Example:
        >>> url_expired(upload=False, what="job 1", status=403, code=None).__class__.__name__
        'DownloadURLExpiredError'
    """
    why = f" ({said})" if said else ""
    if upload:
        return UploadURLExpiredError(
            f"The upload URL of {what} has expired{why}. Upload URLs last 15 minutes after "
            "the job is created and cannot be renewed.",
            hint=Hint(
                Choice(
                    "create a new job and upload again (",
                    Command("all", "run_job()"),
                    " and ",
                    Command("check", "df.compliance.check()"),
                    " do this for you)",
                )
            ),
            status=status,
            code=code,
        )
    return DownloadURLExpiredError(
        f"The download URL of {what} has expired{why}: it lasts 7 days after the job was "
        "created and cannot be renewed. Run the job again to get fresh results.",
        status=status,
        code=code,
    )


def _storage_error(
    response: requests.Response, *, upload: bool, what: str, mask: Mask
) -> TransferError:
    """The exception for a storage answer that is not a success."""
    code, message, details = (
        None if part is None else mask(part) for part in parse_xml_error(response.content[:_READ])
    )
    status = response.status_code
    if code == "ExpiredToken":
        return url_expired(upload=upload, what=what, status=status, code=code)
    kind: type[TransferError] = UploadError if upload else DownloadError
    if code == "SignatureDoesNotMatch":
        hint = (
            "an upload must send exactly 'Content-Type: text/plain' and nothing may change "
            "the URL or the headers on the way (check proxies)"
        )
        return kind(
            f"The storage host refused the signed URL of {what} "
            f"(403 SignatureDoesNotMatch): {hint}.",
            status=status,
            code=code,
        )
    if code == "NoSuchKey" and not upload:
        return kind(
            f"The results of {what} are not there (404 NoSuchKey): is the job complete? "
            "Check its status with get_job() or `compliance-frames get`.",
            status=status,
            code=code,
        )
    said = _cut(": ".join(part for part in (code, message, details) if part)) or mask(
        response.reason or ""
    )
    action = "upload to" if upload else "download from"
    return kind(
        f"Could not {action} the storage host for {what} ({status}: {said}). Try again later.",
        status=status,
        code=code,
    )
