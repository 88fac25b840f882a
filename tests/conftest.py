"""Fixtures shared by all tests: emulators on loopback, and API sessions that check
every JSON answer against the official OpenAPI description."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from compliance_frames import Client, IdSet
from compliance_frames.emulator import Emulator
from tests.openapi import assert_valid, spec_version


@pytest.fixture(autouse=True, scope="session")
def own_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's temporary files (also its child processes') in a folder of its own,
    so that what a test leaves behind is told apart from other programs' files. Under
    pytest-xdist each worker is a session with a base folder of its own (``popen-gw0``...),
    so the workers' files never mix."""
    folder = tmp_path_factory.mktemp("tmp")
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    yield folder
    tempfile.tempdir = saved[0]
    if saved[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved[1]


def _id_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("compliance-ids-*"))


@pytest.fixture(autouse=True)
def no_id_file_left_behind(own_temporary_folder: Path) -> Iterator[None]:
    """Every test: the temporary ID files it made are gone when it ends."""
    before = _id_files()
    yield
    left = sorted(path.name for path in _id_files() - before)
    assert not left, f"temporary ID files left behind: {left}"


@pytest.fixture
def temporary() -> Iterator[Callable[[IdSet], IdSet]]:
    """Wrap an IdSet made by a test: its file is discarded when the test ends."""
    made: list[IdSet] = []

    def keep(ids: IdSet) -> IdSet:
        made.append(ids)
        return ids

    yield keep
    for ids in made:
        ids.discard()


FLOWS = ("bytepath", "gcs")
"""Both generations of the service: every test that starts an emulator runs on each,
unless it (or its module) is marked ``@pytest.mark.flow("gcs")`` or ``("bytepath")``."""

FRAMES = Path(__file__).parent / "frames"
"""The dataframe tests: the flow changes only how the service is spoken to and the format
of its results, which the client and emulator tests cover on both flows; so a dataframe
test runs on the current flow, bytepath, unless it is marked to run on both
(``@pytest.mark.flow(*FLOWS)``): those whose expectations depend on the results format."""


def flows_of(definition: pytest.Function) -> tuple[str, ...]:
    """The flows a test runs on: its (or its module's) ``flow`` marker, else the default of
    its folder (bytepath for the dataframe tests, both elsewhere)."""
    marker = definition.get_closest_marker("flow")
    if marker:
        return tuple(marker.args)
    return ("bytepath",) if FRAMES in definition.path.parents else FLOWS


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than there are CPUs. The tests spend some 40% of their
    time waiting (on loopback HTTP, the emulator's clock, Spark's JVM), so a third worker
    on a 2-core machine takes the suite from about 265 s to 185 s."""
    return (os.cpu_count() or 1) + 1


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "flow" in metafunc.fixturenames:
        metafunc.parametrize("flow", flows_of(metafunc.definition))


class EmulatorFactory:
    """Starts emulators (processing_seconds=0 unless set, the test's flow unless set)
    and remembers them."""

    def __init__(self, flow: str = "bytepath") -> None:
        self.started: list[Emulator] = []
        self.flow = flow

    def __call__(self, **settings: Any) -> Emulator:
        settings.setdefault("processing_seconds", 0)
        settings.setdefault("flow", self.flow)
        emulator = Emulator(**settings).start()
        self.started.append(emulator)
        return emulator


def fast_client(emulator: Emulator, folder: Path) -> Client:
    """A client of ``emulator`` that polls quickly (0.05 s, at most 0.5 s), its cache in
    ``folder``."""
    return Client(
        emulator.bearer_token,
        emulator.base_url,
        results_dir=folder,
        poll_interval=0.05,
        max_poll_interval=0.5,
    )


@pytest.fixture
def make_emulator(flow: str) -> Iterator[EmulatorFactory]:
    """Start emulators with the given settings; all are stopped after the test."""
    factory = EmulatorFactory(flow)
    yield factory
    for emulator in factory.started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: EmulatorFactory) -> Emulator:
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
                response.request.method or "",
                url.path,
                response.status_code,
                response.json(),
                version=spec_version(emulator),
            )

    session.hooks["response"].append(check)
    return session


@pytest.fixture
def api(emulator: Emulator) -> requests.Session:
    """An authenticated, schema-checking session to the default emulator."""
    return validating_session(emulator)
