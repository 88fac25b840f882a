"""The bearer token never shows: not in logs, exceptions, reprs or progress bars."""

from __future__ import annotations

import logging

import pytest

from compliance_frames import (
    AuthenticationError,
    Client,
    ComplianceError,
    ConflictError,
    JobFailedError,
)
from tests.client.conftest import transfer_log
from tests.conftest import EmulatorFactory

TOKEN = "AAAAAAAAAAAAAAAAAAAAA-very-secret-bearer-token-1234567890"


def test_token_appears_nowhere(
    make_emulator: EmulatorFactory,
    make_client,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3, requests and our own loggers, all of them
    emulator = make_emulator(bearer_token=TOKEN, events={"20": "deleted"})
    client: Client = make_client(emulator)
    texts = [repr(client)]
    emulator.inject("get", 503)
    emulator.inject("upload", "drop")
    emulator.inject("download", "drop")
    result = client.run_job([20, 30], "tweets", progress=True)
    texts += [repr(result), repr(result.jobs), str(list(result.records()))]
    handle = client.submit([40], "users", progress=True)
    handle.wait(timeout=30)
    texts.append(repr(handle))
    errors: list[ComplianceError] = []
    emulator.fail_next_job("bad file")
    try:
        client.run_job([50], "tweets", progress=False)
    except JobFailedError as exc:
        errors.append(exc)
    emulator.stall_next_job()
    busy = client.create_job("users", name="busy")
    client.upload_ids(busy, [1])
    try:
        client.create_job("users")
    except ConflictError as exc:
        errors.append(exc)
    try:
        Client("wrong-" + TOKEN, emulator.base_url).list_jobs()
    except AuthenticationError as exc:
        errors.append(exc)
    assert len(errors) == 3
    texts += (
        [str(e) for e in errors] + [repr(e) for e in errors] + [repr(e.__dict__) for e in errors]
    )
    out, err = capsys.readouterr()
    assert "Uploading to" in err  # the progress bars were really drawn
    texts += [out, err, caplog.text]
    assert caplog.records  # and the loggers really spoke
    for text in texts:
        assert TOKEN not in text
    # and went with the transfers only on the API's own origin (the byte-path flow);
    # never to the storage host (checked again by the autouse fixture)
    assert emulator.storage_authorizations() == []
    assert len(transfer_log(emulator)) >= 4
