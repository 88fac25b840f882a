"""compliance-frames: keep research datasets of tweets and accounts compliant with X."""

from . import accessors  # registers df.compliance on pandas and polars
from ._version import __version__
from .client import Client, IdSet, JobHandle, JobResult
from .errors import (
    AccessDeniedError,
    APIError,
    AuthenticationError,
    ComplianceError,
    ConfigurationError,
    ConflictError,
    DownloadError,
    DownloadURLExpiredError,
    InputError,
    InvalidIDError,
    InvalidRequestError,
    JobExpiredError,
    JobFailedError,
    JobNotFoundError,
    NetworkError,
    RateLimitError,
    ServerError,
    TransferError,
    UploadError,
    UploadTooLargeError,
    UploadURLExpiredError,
    URLExpiredError,
    UsageCapError,
    WaitTimeoutError,
)
from .frames import (
    ComplianceSummary,
    FilterReport,
    check,
    plot_summary,
    read_results,
    results,
    summary,
)
from .frames import (
    filter as filter,  # public (explicit re-export), but not in __all__: see below
)
from .models import ComplianceJob, JobStatus, JobType

__all__ = [
    "APIError",
    "AccessDeniedError",
    "AuthenticationError",
    "Client",
    "ComplianceError",
    "ComplianceJob",
    "ComplianceSummary",
    "ConfigurationError",
    "ConflictError",
    "DownloadError",
    "DownloadURLExpiredError",
    "FilterReport",
    "IdSet",
    "InputError",
    "InvalidIDError",
    "InvalidRequestError",
    "JobExpiredError",
    "JobFailedError",
    "JobHandle",
    "JobNotFoundError",
    "JobResult",
    "JobStatus",
    "JobType",
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
    "__version__",
    "accessors",
    "check",
    "plot_summary",
    "read_results",
    "results",
    "summary",
]
# filter() is left out of __all__ so that a star import does not hide the builtin.
