"""The client on its own: every step of a batch compliance job, and one line for all.

python examples/client_lifecycle.py
"""

from __future__ import annotations

import contextlib
import os

from compliance_frames import Client
from compliance_frames.emulator import Emulator

IDS = [1265324480517361664, 906972198136631298, 1182427463398813696]


def main() -> None:
    with contextlib.ExitStack() as stack:
        if "BEARER_TOKEN" not in os.environ:
            emulator = stack.enter_context(Emulator(processing_seconds=1))
            os.environ.update(BEARER_TOKEN=emulator.bearer_token, X_API_BASE_URL=emulator.base_url)
        client = Client(poll_interval=1)

        # Step by step, as the official example client does it.
        job = client.create_job("tweets", name="step-by-step")
        client.upload_ids(job, IDS)
        job = client.wait(job)
        path = client.download_results(job, "results.ndjson")
        print(f"{job.describe()} is {job.status.value}; results in {path}")

        # Or all at once: safe to run again, it finds its job instead of making another.
        result = client.run_job(IDS, "tweets", progress=False)
        for record in result.records():
            print(record["id"], record["reason"])

        # Or in the background, while you keep working.
        handle = client.submit(IDS, "users", progress=False)
        print("submitted:", handle)
        print("users with events:", len(list(handle.wait().records())))


if __name__ == "__main__":
    main()
