"""``compliance-frames emulator``: run the embedded X API emulator in the foreground.

``--flow bytepath`` (default) serves the service as of 2026: uploads and downloads on
the API port, with the bearer token. ``--flow gcs`` serves the 2021-2026 service: a
second port with Cloud Storage signed URLs (``--storage-port``).
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from typing import TYPE_CHECKING, Any

from .common import UsageError, add_command, examples

if TYPE_CHECKING:
    from ..emulator import Emulator

FLOWS = ("bytepath", "gcs")
MAX_UPLOAD_BYTES = 128 * 1024 * 1024
"""The emulator's flows and default upload limit, as ``emulator.config`` has them
(a test checks): written here so that ``--help`` does not import the emulator."""


def register(commands: Any) -> None:
    """Add the ``emulator`` subcommand."""
    parser = add_command(
        commands,
        "emulator",
        help="run an offline emulator of the X batch compliance API",
        description=(
            "Run the X API batch-compliance emulator on this machine until Ctrl+C. "
            "Point any client at the printed base URL with the printed token. "
            "--flow bytepath (default) is the service as of 2026: uploads and downloads go "
            "to the API port with the bearer token; --flow gcs is the 2021-2026 service, "
            "with signed Cloud Storage URLs on a second port."
        ),
        epilog=examples(
            "compliance-frames emulator",
            "compliance-frames emulator --port 0 --token secret --processing-seconds 1",
            "compliance-frames emulator --flow gcs --events events.json --seed 7",
        ),
    )
    parser.add_argument(
        "--flow",
        choices=FLOWS,
        default="bytepath",
        help="generation of the service: bytepath (2026: transfers on the API host with the "
        "bearer token) or gcs (2021-2026: signed Cloud Storage URLs) (default: %(default)s)",
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
        "--storage-port",
        type=_port,
        default=None,
        help="storage port, with --flow gcs only (default: a free one)",
    )
    parser.add_argument("--token", help="bearer token to accept (default: a random one, printed)")
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="minimum processing time of a job (default: %(default)s)",
    )
    parser.add_argument(
        "--seconds-per-id",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="extra processing time per uploaded ID (default: %(default)s)",
    )
    parser.add_argument(
        "--upload-window",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="upload URL lifetime (default: %(default)s = 15 minutes)",
    )
    parser.add_argument(
        "--download-window",
        type=float,
        default=604800.0,
        metavar="SECONDS",
        help="download URL lifetime (default: %(default)s = 7 days)",
    )
    parser.add_argument(
        "--max-upload-bytes",
        type=_positive,
        default=MAX_UPLOAD_BYTES,
        help="largest upload accepted in bytes, --flow bytepath only (ignored with --flow "
        "gcs, whose storage host has no such limit) (default: %(default)s = 128 MiB)",
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
        metavar="SECONDS",
        help="rate window (default: %(default)s = 15 minutes)",
    )
    parser.add_argument(
        "--events",
        metavar="JSON_FILE",
        help='explicit outcomes: a JSON object {"<id>": "deleted", ...}',
    )
    parser.add_argument(
        "--blank-lines",
        action="store_true",
        help="blank lines between result records (default: none)",
    )
    parser.add_argument(
        "--crlf", action="store_true", help="CRLF line endings in results (default: LF)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the derived outcomes (default: %(default)s)"
    )
    parser.add_argument(
        "--data-dir",
        metavar="FOLDER",
        help="where uploads and results are kept (default: a temporary folder)",
    )
    parser.set_defaults(run=run)


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535)")
    return port


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of bytes")
    return value


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
    if args.flow != "gcs" and args.storage_port is not None:
        raise UsageError(
            "--storage-port is for --flow gcs: the byte-path flow takes uploads and downloads "
            "on the API port (--port). Drop --storage-port, or add --flow gcs."
        )
    events = _events(args.events) if args.events else None
    try:
        emulator = _emulator(args, events)
    except OSError as exc:
        ports = f"port {args.port}"
        if args.flow == "gcs":
            ports += f" or {args.storage_port or 0}"
        raise UsageError(
            f"Cannot listen on {args.host} {ports}: "
            f"{exc.strerror or exc}. Pick another --port (0 picks a free one)."
        ) from None
    except ValueError as exc:  # a setting the emulator refuses, such as --events reasons
        raise UsageError(f"{exc}.") from None
    with emulator:
        for line in instructions(emulator):
            print(line)
        print("Press Ctrl+C to stop.", flush=True)
        _wait_for_stop(stop or threading.Event())
        print("Stopped.", flush=True)
    return 0


def instructions(emulator: Emulator) -> list[str]:
    """What to tell the user once the emulator listens, in the terms of its flow.

    Example:
        >>> from compliance_frames.emulator import Emulator
        >>> with Emulator(processing_seconds=0, bearer_token="t") as emu:
        ...     print(instructions(emu)[0])  # doctest: +ELLIPSIS
        X batch compliance emulator (byte-path flow, 2026): API on http://127.0.0.1:...
    """
    if emulator.flow == "gcs":
        where = (
            f"X batch compliance emulator (Cloud Storage flow, 2021-2026): API on "
            f"{emulator.base_url}, storage on {emulator.storage_url} (signed URLs, no token)"
        )
    else:
        where = (
            f"X batch compliance emulator (byte-path flow, 2026): API on {emulator.base_url}, "
            "uploads and downloads there too, with the bearer token"
        )
    return [
        where,
        "Point your client at it:",
        f"  export X_API_BASE_URL={emulator.base_url}",
        f"  export BEARER_TOKEN={emulator.bearer_token}",
    ]


def _emulator(args: argparse.Namespace, events: dict[str, Any] | None) -> Emulator:
    from ..emulator import Emulator

    return Emulator(
        host=args.host,
        port=args.port,
        storage_port=args.storage_port or 0,
        bearer_token=args.token,
        flow=args.flow,
        max_upload_bytes=args.max_upload_bytes,
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
    inherits an ignored SIGINT, and Ctrl+C must still stop the emulator cleanly. The
    handlers before are put back afterwards (``main()`` may run again in the process).
    """
    saved: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            saved[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
