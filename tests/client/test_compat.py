"""The async functions of another published client, and the official scripts' steps."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from compliance_frames import Client, JobStatus
from compliance_frames.client.compat import (
    create_compliance_job,
    download_results,
    list_job,
    list_jobs,
    upload_ids,
)
from tests.conftest import EmulatorFactory


def test_async_functions(make_emulator: EmulatorFactory, make_client, tmp_path: Path) -> None:
    emulator = make_emulator(events={"20": "protected"})
    client: Client = make_client(emulator)
    ids = tmp_path / "ids.txt"
    ids.write_text("20\n30\n")
    results = tmp_path / "results.json"

    async def script() -> None:
        job = await create_compliance_job("users", "async-job", client=client)
        assert [j.id for j in await list_jobs("users", client=client)] == [job.id]
        assert await upload_ids(job.upload_url, ids, client=client) == 2
        done = client.wait(job)
        assert (await list_job(job.id, client=client)).status is JobStatus.COMPLETE
        await download_results(done.download_url, results, client=client)

    asyncio.run(script())
    [record] = [json.loads(line) for line in results.read_text().splitlines()]
    assert (record["id"], record["reason"]) == ("20", "protected")


def test_async_upload_to_a_resumable_url(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path
) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator)
    job = client.create_job("tweets", resumable=True)
    ids = tmp_path / "ids.txt"
    ids.write_text("1\n2\n3\n")
    assert asyncio.run(upload_ids(job, ids, client=client)) == 3
    assert client.wait(job).status is JobStatus.COMPLETE
