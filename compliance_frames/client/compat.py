"""Drop-in equivalents of the functions researchers already use.

The official example client's five scripts (create a job, list one, list all, upload
IDs, download results) are :class:`Client` methods and ``compliance-frames``
subcommands. This module offers the ``async`` functions of another published client
(``create_compliance_job``, ``list_job``, ``list_jobs``, ``upload_ids``,
``download_results``) with the same names and arguments, on top of this client: with
retries, checked statuses, and no bearer token sent to the storage host.

Example:
    >>> import asyncio
    >>> from compliance_frames.emulator import Emulator
    >>> with Emulator(processing_seconds=0) as emu:
    ...     client = Client(emu.bearer_token, emu.base_url)
    ...     job = asyncio.run(create_compliance_job("tweets", "my-job", client=client))
    ...     [j.name for j in asyncio.run(list_jobs("tweets", client=client))]
    ['my-job']
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from ..models import ComplianceJob, JobStatus, JobType
from . import clock
from .client import Client
from .downloads import download_file
from .idsets import IdSet
from .uploads import upload_file

__all__ = ["create_compliance_job", "download_results", "list_job", "list_jobs", "upload_ids"]


def _client(client: Client | None) -> Client:
    return client if client is not None else Client()


async def create_compliance_job(
    type: JobType | str,
    name: str | None = None,
    resumable: bool = False,
    *,
    client: Client | None = None,
) -> ComplianceJob:
    """Create a job."""
    return await asyncio.to_thread(_client(client).create_job, type, name, resumable)


async def list_jobs(
    type: JobType | str, status: JobStatus | str | None = None, *, client: Client | None = None
) -> list[ComplianceJob]:
    """The jobs of a type (optionally of a status), newest first."""
    return await asyncio.to_thread(_client(client).list_jobs, type, status)


async def list_job(id: str, *, client: Client | None = None) -> ComplianceJob:
    """One job by id."""
    return await asyncio.to_thread(_client(client).get_job, id)


async def upload_ids(
    upload_url: str | ComplianceJob,
    ids_file_path: str | os.PathLike[str],
    *,
    client: Client | None = None,
) -> int:
    """Upload a file of IDs to a job (or straight to a job's upload URL); return how many."""
    chosen = _client(client)
    if isinstance(upload_url, ComplianceJob):
        return await asyncio.to_thread(chosen.upload_ids, upload_url, ids_file_path)

    def upload() -> int:
        ids = IdSet.from_file(ids_file_path)
        try:
            upload_file(
                chosen.transport,
                _job(upload_url, upload=True),
                ids.path,
                progress=False,
                policy=chosen.policy,
            )
            return ids.count
        finally:
            ids.discard()

    return await asyncio.to_thread(upload)


async def download_results(
    download_url: str | ComplianceJob,
    results_file_path: str | os.PathLike[str],
    *,
    client: Client | None = None,
) -> Path:
    """Download a complete job's results (or a download URL's) to a file, atomically."""
    chosen = _client(client)
    if isinstance(download_url, ComplianceJob):
        return await asyncio.to_thread(chosen.download_results, download_url, results_file_path)
    job = _job(download_url, upload=False)
    return await asyncio.to_thread(
        download_file,
        chosen.transport,
        job,
        Path(results_file_path),
        progress=False,
        policy=chosen.policy,
    )


def _job(value: str, *, upload: bool) -> ComplianceJob:
    """A stand-in job for when only a signed URL is known."""
    query = dict(parse_qsl(urlsplit(value).query))
    resumable = "x-goog-resumable" in query.get("X-Goog-SignedHeaders", "")
    far = clock.utcnow().replace(year=clock.utcnow().year + 1)
    data = {
        "id": "0",
        "type": "tweets",
        "status": "created" if upload else "complete",
        "created_at": clock.utcnow().isoformat(),
        "upload_url": value if upload else "",
        "upload_expires_at": far.isoformat(),
        "download_url": "" if upload else value,
        "download_expires_at": far.isoformat(),
        "resumable": resumable,
        "name": "signed URL",
    }
    return ComplianceJob.from_api(data)
