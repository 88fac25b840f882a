"""Progress suits where it is shown: plain lines off a terminal (pytest's capture is not
one), bars on lines of their own on a terminal, widgets in a notebook, nothing when off.

Real jobs against the emulator; only the terminal, the notebook and the clock are stood in.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
import threading
from collections.abc import Callable
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import pytest
from pytest_mock import MockerFixture

from compliance_frames import Client
from compliance_frames.client import progress
from compliance_frames.client.progress import Lines, Slots, byte_bar, display_kind, wait_bar
from compliance_frames.emulator import ManualClock
from compliance_frames.errors import ComplianceError
from tests.conftest import EmulatorFactory

PHASE = re.compile(
    r"compliance-frames: (?:Uploading to|Uploaded to|Waiting for|Downloading|Downloaded) "
    r"(cf-(?:tweets|users)-\S+?)(?::| \(| stopped)"
)


class Terminal(io.StringIO):
    """A stand-in for a terminal: a stream that says it is a tty."""

    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return True


def lines_of(err: str) -> list[str]:
    assert "\r" not in err  # no carriage return
    assert "\x1b" not in err  # no escape code
    lines = err.splitlines()
    assert all(line.startswith("compliance-frames: ") for line in lines), lines
    return lines


def with_phase(lines: list[str], start: str) -> list[str]:
    return [line for line in lines if line.startswith(f"compliance-frames: {start}")]


def test_a_job_off_a_terminal_is_one_plain_line_per_phase(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    result = client.run_job([20, 30], "tweets", progress=True)
    lines = lines_of(capsys.readouterr().err)
    name = result.jobs[0].name
    assert with_phase(lines, f"Uploading to {name} (") == [
        f"compliance-frames: Uploading to {name} (6 B)"
    ]
    (uploaded,) = with_phase(lines, f"Uploaded to {name}: 6 B in ")
    assert len(with_phase(lines, f"Downloading {name}")) == 1
    (downloaded,) = with_phase(lines, f"Downloaded {name}: ")
    waiting = with_phase(lines, f"Waiting for {name}: ")
    assert 1 <= len(waiting) <= 2
    assert waiting[-1].startswith(f"compliance-frames: Waiting for {name}: complete, waited ")
    assert len(lines) == 4 + len(waiting)
    assert lines.index(uploaded) < lines.index(waiting[-1]) < lines.index(downloaded)


def test_waiting_says_the_status_at_most_once_a_minute(
    make_emulator: EmulatorFactory,
    make_client: Callable[..., Client],
    virtual_clock: ManualClock,
    mocker: MockerFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = make_emulator(clock=virtual_clock, processing_seconds=1800, rate_window=900)
    client = make_client(emulator, poll_interval=5.0, max_poll_interval=120.0)
    said: list[tuple[float, str]] = []
    emit = progress.emit
    mocker.patch.object(
        progress,
        "emit",
        side_effect=lambda stream, text: (
            said.append((virtual_clock.time(), text)),
            emit(stream, text),
        ),
    )
    result = client.run_job([20], "tweets", progress=True)
    lines = lines_of(capsys.readouterr().err)
    job = result.jobs[0]
    polls = [e for e in emulator.request_log("api") if e.path.endswith(job.id)]
    status = [(at, text) for at, text in said if text.startswith("Waiting for")]
    assert [f"compliance-frames: {text}" for _, text in said] == lines
    print(f"\n30-minute wait: {len(polls)} status requests, {len(status)} status lines")
    assert status[-1][1].startswith(f"Waiting for {job.name}: complete, waited 3")
    assert status[0][1].startswith(f"Waiting for {job.name}: in_progress, waited 0s")
    gaps = [later - earlier for (earlier, _), (later, _) in pairwise(status[:-1])]
    assert all(gap >= progress.STATUS_EVERY for gap in gaps), gaps
    assert 15 <= len(status) <= 1800 / 60 + 2
    assert len(polls) > 2 * len(status)  # quieter than the polling


def test_no_progress_shows_nothing(
    client: Client, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client.run_job([20], "tweets", progress=False)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.setattr(sys, "stderr", Terminal())
    client.run_job([30], "tweets", progress=True)
    assert sys.stderr.getvalue() == ""
    assert capsys.readouterr().err == ""


def test_two_jobs_at_once_give_well_formed_lines_of_their_own(
    make_emulator: EmulatorFactory,
    make_client: Callable[..., Client],
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = make_emulator(processing_seconds=0.3)
    client = make_client(emulator)
    tweets = client.submit(list(range(1, 20_001)), "tweets", progress=True)
    users = client.submit(list(range(1, 20_001)), "users", progress=True)
    names = {tweets.wait(timeout=60).jobs[0].name, users.wait(timeout=60).jobs[0].name}
    lines = lines_of(capsys.readouterr().err)
    seen: dict[str, list[str]] = {name: [] for name in names}
    for line in lines:
        match = PHASE.match(line)
        assert match is not None, line
        seen[match.group(1)].append(line)
    starts = [lines.index(own[0]) for own in seen.values()]
    ends = [lines.index(own[-1]) for own in seen.values()]
    assert max(starts) < min(ends)  # the two jobs ran at once
    for name, own in seen.items():
        size = re.escape(own[0].rsplit("(", 1)[-1].rstrip(")"))
        assert re.fullmatch(rf"compliance-frames: Uploading to {name} \(1\d\d\.\d kB\)", own[0])
        assert re.match(rf"compliance-frames: Uploaded to {name}: {size} in ", own[1])
        assert own[-2].startswith(f"compliance-frames: Downloading {name}")
        assert own[-1].startswith(f"compliance-frames: Downloaded {name}: ")


def test_a_transfer_that_fails_says_where_it_stopped(
    make_emulator: EmulatorFactory,
    make_client: Callable[..., Client],
    capsys: pytest.CaptureFixture[str],
    no_sleep: Any,
) -> None:
    emulator = make_emulator()
    client = make_client(emulator, max_retries=1)
    emulator.inject("upload", 500, times=10)
    with pytest.raises(ComplianceError):
        client.run_job([20, 30], "tweets", progress=True)
    lines = lines_of(capsys.readouterr().err)
    assert lines[0].startswith("compliance-frames: Uploading to cf-tweets-")
    assert re.fullmatch(
        r"compliance-frames: Uploading to cf-tweets-\S+ stopped at 6 B of 6 B after .* s",
        lines[-1],
    )
    assert not with_phase(lines, "Uploaded")


def test_a_bar_on_a_terminal_is_a_bar_on_a_line_of_its_own(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("TERM", "xterm")
    result = client.run_job([20, 30], "tweets", progress=True)
    shown = terminal.getvalue()
    name = result.jobs[0].name
    assert "\r" in shown  # drawn and redrawn in place
    assert f"\rcompliance-frames: Uploaded to {name}: 6 B in " in shown  # the bar cleared
    assert f"\rcompliance-frames: Downloaded {name}: " in shown
    assert progress.SLOTS.take() == 0  # every line handed back
    progress.SLOTS.give_back(0)


def test_two_bars_at_once_on_a_terminal_keep_two_lines(
    monkeypatch: pytest.MonkeyPatch, mocker: MockerFixture
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("TERM", "xterm")
    slots = mocker.patch.object(progress, "SLOTS", Slots())
    both = threading.Barrier(2)
    positions: dict[str, int] = {}

    def transfer(name: str) -> None:
        bar = byte_bar(1000, f"Uploading to {name}", enabled=True)
        both.wait(timeout=10)  # both bars are alive at once
        positions[name] = bar.slot
        assert bar.pos == -bar.slot  # tqdm's own record of the fixed line it draws on
        bar.update(1000)
        both.wait(timeout=10)
        progress.close(bar)

    threads = [threading.Thread(target=transfer, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(positions.values()) == [0, 1]
    assert slots.take() == 0  # both handed back
    shown = terminal.getvalue()
    assert shown.count("compliance-frames: Uploaded to one: 1.0 kB in ") == 1
    assert shown.count("compliance-frames: Uploaded to two: 1.0 kB in ") == 1


def test_the_display_is_chosen_from_where_the_output_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert display_kind(io.StringIO()) == "plain"  # a pipe, a log, a file
    assert display_kind(Terminal()) == "terminal"
    closed = Terminal()
    closed.close()
    assert display_kind(closed) == "plain"
    monkeypatch.setenv("TERM", "dumb")
    assert display_kind(Terminal()) == "plain"
    monkeypatch.setenv("TQDM_DISABLE", "0")
    assert display_kind(Terminal()) == "plain"
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert display_kind(io.StringIO()) == "off"


def test_a_running_kernel_is_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setitem(sys.modules, "ipykernel", SimpleNamespace())
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(kernel=object()))
    widgets = importlib.util.find_spec("ipywidgets") is not None
    assert display_kind(io.StringIO()) == ("notebook" if widgets else "plain")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: object())
    assert display_kind(io.StringIO()) == "notebook"  # with ipywidgets installed
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    assert display_kind(io.StringIO()) == "plain"  # without: no text bars in a notebook
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # a terminal IPython
    assert display_kind(Terminal()) == "terminal"


@pytest.mark.parametrize("kind", ["plain", "terminal", "notebook", "off"])
def test_the_environment_can_choose_the_display(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setenv("COMPLIANCE_FRAMES_PROGRESS", kind)
    assert display_kind(Terminal()) == kind
    assert display_kind(io.StringIO()) == kind
    monkeypatch.setenv("COMPLIANCE_FRAMES_PROGRESS", "sparkles")  # not a kind: chosen as usual
    assert display_kind(io.StringIO()) == "plain"


def test_lines_are_whole_and_printable(mocker: MockerFixture) -> None:
    clock = ManualClock(start=0.0)
    mocker.patch("compliance_frames.client.clock.now", side_effect=clock.time)
    out = io.StringIO()
    bar = Lines("Waiting for odd\rname\x1b[2J", None, waiting=True, stream=out)
    for second in range(0, 300, 5):
        clock.advance(5.0 if second else 0.0)
        bar.set_postfix_str(f"in_progress, waited {second}s")
    bar.set_postfix_str("complete, waited 300s")
    bar.close()
    bar.close()
    lines = lines_of(out.getvalue())
    assert [line.rsplit(" ", 1)[-1] for line in lines] == [
        "0s",
        "60s",
        "120s",
        "180s",
        "240s",
        "300s",
    ]
    assert lines[0] == "compliance-frames: Waiting for odd name [2J: in_progress, waited 0s"


def test_the_plain_stand_in_answers_what_a_bar_is_asked() -> None:
    out = io.StringIO()
    bar = Lines("Downloading cf-tweets-1", None, waiting=False, stream=out)
    bar.set_description("Downloading cf-tweets-1")
    bar.set_postfix(part=1)
    bar.reset(total=None)
    bar.n = 2_000_000
    bar.refresh()
    bar.clear()
    bar.display()
    with bar:
        pass
    assert lines_of(out.getvalue())[0] == "compliance-frames: Downloading cf-tweets-1"
    assert lines_of(out.getvalue())[1].startswith(
        "compliance-frames: Downloaded cf-tweets-1: 2.0 MB in "
    )
    quiet = wait_bar("Waiting for cf-tweets-1", enabled=False)
    quiet.set_postfix_str("complete")
    quiet.close()
