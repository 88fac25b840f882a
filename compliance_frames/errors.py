"""Every error compliance-frames raises: one hierarchy under :class:`ComplianceError`.

Each message says what went wrong and what to do next. None contains the bearer
token, nor a signed URL's signature.

Example:
    >>> try:
    ...     raise JobFailedError("job 1 failed: bad line 3", job=None, error="bad line 3")
    ... except ComplianceError as exc:
    ...     exc.error
    'bad line 3'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .hints import Hint, Terms
    from .models import ComplianceJob

__all__ = [
    "APIError",
    "AccessDeniedError",
    "AuthenticationError",
    "ComplianceError",
    "ComplianceWarning",
    "ConfigurationError",
    "ConflictError",
    "DownloadError",
    "DownloadURLExpiredError",
    "InputError",
    "InvalidIDError",
    "InvalidRequestError",
    "JobExpiredError",
    "JobFailedError",
    "JobNotFoundError",
    "MalformedJobError",
    "NetworkError",
    "RateLimitError",
    "ServerError",
    "TransferError",
    "URLExpiredError",
    "UploadError",
    "UploadTooLargeError",
    "UploadURLExpiredError",
    "UsageCapError",
    "WaitTimeoutError",
]


class _Hinted:
    """A message in two parts: ``problem`` (what went wrong) and ``hint`` (what to change)."""

    args: tuple[Any, ...]
    hint: Hint | None

    @property
    def problem(self) -> str:
        """What went wrong, without the hint."""
        return str(self.args[0]) if self.args else ""

    def render(self, terms: Terms | None = None) -> str:
        """The message with the hint in ``terms`` (default: Python's)."""
        from .hints import PYTHON

        advice = self.hint.render(terms or PYTHON) if self.hint is not None else ""
        return f"{self.problem} {advice}".strip() if advice else self.problem


class ComplianceError(_Hinted, Exception):
    """Base class of every error raised by compliance-frames.

    ``problem`` says what went wrong; ``hint`` (a :class:`~compliance_frames.hints.Hint`,
    or None) what to change. ``str(exc)`` is both, the hint in Python terms; the command
    line renders the same hint with its options (:meth:`render`).

    Example:
        >>> from compliance_frames.hints import Argument, Choice, Hint
        >>> exc = ComplianceError("2 values are not IDs.",
        ...                       hint=Hint(Choice("pass ", Argument("errors", "skip"))))
        >>> str(exc)
        "2 values are not IDs. Pass errors='skip'."
    """

    def __init__(self, *args: object, hint: Hint | None = None) -> None:
        super().__init__(*args)
        self.hint = hint

    def __str__(self) -> str:
        if self.hint is None:
            return super().__str__()
        return self.render()


class ComplianceWarning(_Hinted, UserWarning):
    """A warning of compliance-frames: ``problem`` and a ``hint``, as :class:`ComplianceError`
    has them, so that the command line says the hint with its options.

    Example:
        >>> from compliance_frames.hints import Argument, Choice, Hint
        >>> str(ComplianceWarning("Done without it.",
        ...                       hint=Hint(Choice("leave out ", Argument("resumable", True)))))
        'Done without it. Leave out resumable=True.'
    """

    def __init__(self, message: str, *, hint: Hint | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        return self.render()


class ConfigurationError(ComplianceError, ValueError):
    """The client is not set up right: no token, a bad base URL, plain http to a remote host."""


class InputError(ComplianceError, ValueError):
    """A frame or argument cannot be used as given: a missing column, a name clash,
    an unsupported kind of frame."""


class NetworkError(ComplianceError):
    """The API or the storage host could not be reached, even after retries."""


# -- answers of the API host -----------------------------------------------------------


class APIError(ComplianceError):
    """The API answered with an error. ``status``, ``problem_type``, ``title``, ``detail``
    and the (token-free) ``body`` say what it was."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problem_type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        body: Any = None,
        hint: Hint | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.problem_type = problem_type
        self.title = title
        self.detail = detail
        self.body = body


class AuthenticationError(APIError):
    """401: the bearer token is missing or wrong."""


class AccessDeniedError(APIError):
    """403: a user-context token where an app-only one is needed, or an app whose plan
    does not include batch compliance. ``reason`` tells which."""

    def __init__(self, message: str, *, reason: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


class RateLimitError(APIError):
    """429: the endpoint's rate window (150 requests per 15 minutes) is used up.
    ``reset_at`` is when it opens again."""

    def __init__(self, message: str, *, reset_at: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reset_at = reset_at


class UsageCapError(APIError):
    """429 usage-capped: the plan's monthly cap is reached; waiting minutes does not help."""


class ConflictError(APIError):
    """A job of this type is already in progress (one at a time per type).
    ``blocking_job`` is that job when it could be found."""

    def __init__(
        self, message: str, *, blocking_job: ComplianceJob | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.blocking_job = blocking_job


class JobNotFoundError(APIError):
    """No job has this id (or this name)."""

    def __init__(self, message: str, *, job_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job_id = job_id


class InvalidRequestError(APIError):
    """400: the API refused a parameter; ``errors`` has its explanations."""

    def __init__(self, message: str, *, errors: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = list(errors)


class ServerError(APIError):
    """5xx from the API, still failing after retries."""


class MalformedJobError(ServerError, ValueError):
    """A job in an answer of the API that this client cannot use: a field missing or of
    the wrong type, an id that is not 1-19 digits, a timestamp that is not one. The
    message shows what came (the token masked, signed URLs cut). A ``ValueError`` too,
    as a value that does not parse."""


# -- the storage host ------------------------------------------------------------------


class TransferError(ComplianceError):
    """An upload or download to a signed URL failed. ``status`` and ``code`` (the XML
    error code, e.g. ``SignatureDoesNotMatch``) say how."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        hint: Hint | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


class UploadError(TransferError):
    """The IDs could not be uploaded."""


class UploadTooLargeError(UploadError):
    """413: the upload is over X's size limit (128 MB in the 2026 flow). ``limit`` is
    the limit in bytes when X said it. run_job() and check() split the IDs into jobs
    under the limit by themselves, and learn a smaller limit from this answer."""

    def __init__(self, message: str, *, limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit


class DownloadError(TransferError):
    """The results could not be downloaded."""


class URLExpiredError(TransferError):
    """A signed URL is past its lifetime (upload: 15 minutes; download: 7 days)."""


class UploadURLExpiredError(UploadError, URLExpiredError):
    """The upload URL expired: the job can no longer take IDs; create a new job."""


class DownloadURLExpiredError(DownloadError, URLExpiredError):
    """The download URL expired (7 days after the job was created): run the job again."""


# -- the job lifecycle -----------------------------------------------------------------


class JobFailedError(ComplianceError):
    """The job ended ``failed``; ``error`` is the API's explanation."""

    def __init__(
        self,
        message: str,
        *,
        job: ComplianceJob | None,
        error: str | None,
        hint: Hint | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.job = job
        self.error = error


class JobExpiredError(ComplianceError):
    """The job ended ``expired``: no IDs reached it within its upload window."""

    def __init__(
        self, message: str, *, job: ComplianceJob | None, hint: Hint | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.job = job


class WaitTimeoutError(ComplianceError, TimeoutError):
    """The job was still running when the wait's timeout ran out. It goes on at X."""

    def __init__(
        self,
        message: str,
        *,
        job: ComplianceJob | None,
        waited: float,
        hint: Hint | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.job = job
        self.waited = waited


class InvalidIDError(ComplianceError, ValueError):
    """Some values are not 1-19 digit decimal IDs. ``count`` says how many;
    ``examples`` holds the first few as (position, value)."""

    def __init__(
        self,
        message: str,
        *,
        count: int,
        examples: Sequence[tuple[object, object]] = (),
        hint: Hint | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.count = count
        self.examples = list(examples)
