"""Fixtures for the client tests: clients bound to emulators, virtual time, and a
check after every test that no bearer token reached a storage host."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture

from compliance_frames import Client
from compliance_frames.emulator import Emulator, ManualClock
from compliance_frames.emulator.state import LoggedRequest
from tests.conftest import EmulatorFactory

START = 1_700_000_000.0


class _ShortWindows(EmulatorFactory):
    """Client tests poll fast; a 10 s rate window keeps the budget projection short."""

    def __init__(self, parent: EmulatorFactory) -> None:
        self.started = parent.started
        self._parent = parent

    def __call__(self, **settings: Any) -> Emulator:
        settings.setdefault("rate_window", 10.0)
        return self._parent(**settings)


@pytest.fixture
def make_emulator(make_emulator: EmulatorFactory) -> EmulatorFactory:
    return _ShortWindows(make_emulator)


@pytest.fixture
def emulator(make_emulator: EmulatorFactory) -> Emulator:
    return make_emulator()


@pytest.fixture(autouse=True)
def _no_token_on_storage(make_emulator: EmulatorFactory) -> Iterator[None]:
    """No client test may end with an Authorization header seen by a storage host."""
    yield
    for emulator in make_emulator.started:
        assert emulator.storage_authorizations() == []
        assert all(entry.authorization is None for entry in emulator.request_log("storage"))


def transfer_log(emulator: Emulator, method: str | None = None) -> list[LoggedRequest]:
    """The uploads and downloads the emulator saw, whichever host took them (the API host
    in the byte-path flow, the storage host in the older one)."""
    return [
        entry
        for entry in emulator.request_log()
        if (entry.host == "storage" or entry.path.endswith(("/upload", "/download")))
        and method in (None, entry.method)
    ]


def transfer_auth(emulator: Emulator) -> dict[str, str]:
    """The headers a transfer needs: the bearer token on the byte-path flow, none on GCS."""
    if emulator.flow == "bytepath":
        return {"Authorization": f"Bearer {emulator.bearer_token}"}
    return {}


@pytest.fixture
def make_client(tmp_path: Path) -> Callable[..., Client]:
    """A client for an emulator, keeping its records and results under the test's folder
    (``cache/``, laid out as the default cache: ``results/``, ``jobs/``, ``locks/``)."""

    def make(emulator: Emulator, **options: Any) -> Client:
        if "results_dir" not in options:
            options.setdefault("cache_dir", tmp_path / "cache")
        options.setdefault("poll_interval", 0.05)
        options.setdefault("max_poll_interval", 0.5)
        return Client(emulator.bearer_token, emulator.base_url, **options)

    return make


@pytest.fixture
def client(emulator: Emulator, make_client: Callable[..., Client]) -> Client:
    return make_client(emulator)


@pytest.fixture
def no_sleep(mocker: MockerFixture) -> Any:
    """The client's sleeps return at once; the mock records how long each would have been."""
    return mocker.patch("compliance_frames.client.clock.sleep")


@pytest.fixture
def virtual_clock(mocker: MockerFixture) -> ManualClock:
    """One manual clock for the client and the emulator: the client's sleeps move it."""
    clock = ManualClock(start=START)
    mocker.patch("compliance_frames.client.clock.now", side_effect=clock.time)
    mocker.patch("compliance_frames.client.clock.sleep", side_effect=clock.advance)
    return clock
