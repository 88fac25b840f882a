"""compliance-frames: keep research datasets of tweets and accounts compliant with X.

Importing the package is cheap: the client (requests, numpy) and the frames layer
(polars, narwhals) are imported when one of their names is first used, and pandas only
when a pandas frame is. ``df.compliance`` is registered on pandas and polars all the
same: at once for a library already imported, else as soon as it is (see
:mod:`compliance_frames.accessors`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import accessors  # registers df.compliance on pandas and polars (now or on import)
from ._version import __version__
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
from .models import ComplianceJob, JobStatus, JobType

if TYPE_CHECKING:
    from .client import Client, IdSet, JobHandle, JobResult
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
    from .jsonl import clean_jsonl

_LAZY = {
    "Client": "client",
    "IdSet": "client",
    "JobHandle": "client",
    "JobResult": "client",
    "ComplianceSummary": "frames",
    "FilterReport": "frames",
    "check": "frames",
    "filter": "frames",
    "plot_summary": "frames",
    "read_results": "frames",
    "results": "frames",
    "summary": "frames",
    "clean_jsonl": "jsonl",
}
"""Names imported from a subpackage when first used (PEP 562)."""


def __getattr__(name: str) -> Any:
    """``compliance_frames.Client`` and ``from compliance_frames import check``: the
    subpackage is imported on first use, then the name is an ordinary attribute."""
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{where}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
    "clean_jsonl",
    "plot_summary",
    "read_results",
    "results",
    "summary",
]
# filter() is left out of __all__ so that a star import does not hide the builtin.
