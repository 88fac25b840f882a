"""Fixtures shared by all tests: emulators on loopback, and API sessions that check
every JSON answer against the official OpenAPI description."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from compliance_frames.emulator import Emulator
from tests.openapi import assert_valid


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with the given settings (processing_seconds=0 unless set)."""
    started: list[Emulator] = []

    def make(**settings: Any) -> Emulator:
        settings.setdefault("processing_seconds", 0)
        emulator = Emulator(**settings).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., Emulator]) -> Emulator:
    """An emulator that processes jobs instantly with derived outcomes."""
    return make_emulator()


def validating_session(emulator: Emulator, token: str | None = "app") -> requests.Session:
    """A session to the emulator's API whose every JSON answer is checked against the schema."""
    session = requests.Session()
    if token == "app":
        token = emulator.bearer_token
    if token is not None:
        session.headers["Authorization"] = f"Bearer {token}"
    api_netloc = urlsplit(emulator.base_url).netloc

    def check(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        url = urlsplit(response.url)
        if url.netloc == api_netloc and "json" in response.headers.get("Content-Type", ""):
            assert_valid(
                response.request.method or "", url.path, response.status_code, response.json()
            )

    session.hooks["response"].append(check)
    return session


@pytest.fixture
def api(emulator: Emulator) -> requests.Session:
    """An authenticated, schema-checking session to the default emulator."""
    return validating_session(emulator)
