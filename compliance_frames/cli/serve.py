"""``compliance-frames emulator``: run the embedded X API emulator in the foreground."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from typing import Any

from ..emulator import Emulator
from .common import UsageError


def register(commands: Any) -> None:
    """Add the ``emulator`` subcommand."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "emulator",
        help="run an offline emulator of the X batch compliance API",
        description=(
            "Run the X API batch-compliance emulator on this machine until Ctrl+C. "
            "Point any client at the printed base URL with the printed token."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8099,
        help="API port (default: %(default)s; 0 picks a free one)",
    )
    parser.add_argument(
        "--storage-port", type=_port, default=0, help="storage port (default: a free one)"
    )
    parser.add_argument("--token", help="bearer token to accept (default: a random one, printed)")
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=5.0,
        help="minimum processing time of a job (default: %(default)s)",
    )
    parser.add_argument(
        "--seconds-per-id",
        type=float,
        default=0.0,
        help="extra processing time per uploaded ID (default: %(default)s)",
    )
    parser.add_argument(
        "--upload-window",
        type=float,
        default=900.0,
        help="upload URL lifetime in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--download-window",
        type=float,
        default=604800.0,
        help="download URL lifetime in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=150,
        help="requests per endpoint per window (default: %(default)s)",
    )
    parser.add_argument(
        "--rate-window",
        type=float,
        default=900.0,
        help="rate window in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--events",
        metavar="JSON_FILE",
        help='explicit outcomes: a JSON object {"<id>": "deleted", ...}',
    )
    parser.add_argument(
        "--blank-lines", action="store_true", help="blank lines between result records"
    )
    parser.add_argument("--crlf", action="store_true", help="CRLF line endings in results")
    parser.add_argument("--seed", type=int, default=0, help="seed of the derived outcomes")
    parser.add_argument(
        "--data-dir", help="where uploads and results are kept (default: a temporary folder)"
    )
    parser.set_defaults(run=run)


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535)")
    return port


def _events(path: str) -> dict[str, Any]:
    """The ``--events`` file: a JSON object, as ``Emulator(events=...)`` takes it (ID to
    reason, list of reasons or event objects; or per job type)."""
    try:
        with open(path, encoding="utf-8") as source:
            events = json.load(source)
    except OSError as exc:
        raise UsageError(f"Cannot read --events {path}: {exc.strerror or exc}.") from None
    except ValueError as exc:
        raise UsageError(f"--events {path} is not valid JSON: {exc}.") from None
    if not isinstance(events, dict):
        raise UsageError(
            f'--events {path} must hold a JSON object {{"<id>": "deleted", ...}}, '
            f"not a {type(events).__name__}."
        )
    return events


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Serve until interrupted (or until ``stop`` is set)."""
    events = _events(args.events) if args.events else None
    try:
        emulator = _emulator(args, events)
    except OSError as exc:
        raise UsageError(
            f"Cannot listen on {args.host} port {args.port} or {args.storage_port}: "
            f"{exc.strerror or exc}. Pick another --port (0 picks a free one)."
        ) from None
    with emulator:
        print(
            f"X batch compliance emulator: API on {emulator.base_url}, "
            f"storage on {emulator.storage_url}"
        )
        print("Point your client at it:")
        print(f"  export X_API_BASE_URL={emulator.base_url}")
        print(f"  export BEARER_TOKEN={emulator.bearer_token}")
        print("Press Ctrl+C to stop.", flush=True)
        _wait_for_stop(stop or threading.Event())
        print("Stopped.", flush=True)
    return 0


def _emulator(args: argparse.Namespace, events: dict[str, Any] | None) -> Emulator:
    return Emulator(
        host=args.host,
        port=args.port,
        storage_port=args.storage_port,
        bearer_token=args.token,
        processing_seconds=args.processing_seconds,
        seconds_per_id=args.seconds_per_id,
        upload_window=args.upload_window,
        download_window=args.download_window,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        events=events,
        blank_lines=args.blank_lines,
        crlf=args.crlf,
        seed=args.seed,
        data_dir=args.data_dir,
    )


def _wait_for_stop(stop: threading.Event) -> None:
    """Wait until ``stop`` is set or the process gets SIGINT (Ctrl+C) or SIGTERM.

    The handlers are installed explicitly: a process started in the background
    inherits an ignored SIGINT, and Ctrl+C must still stop the emulator cleanly.
    """
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
