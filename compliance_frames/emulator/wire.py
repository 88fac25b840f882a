"""Connection-level helpers for the emulated hosts: a quiet, drop-safe request handler,
bounded reading of request bodies, ranged file downloads (the byte-path API host's and
the gcs storage host's), and closing a connection in the middle of a body.

Example:
    >>> import io
    >>> environ = {"wsgi.input": io.BytesIO(b"12 34 "), "CONTENT_LENGTH": "6"}
    >>> sink = io.BytesIO()
    >>> read_body(environ, sink), sink.getvalue()
    (6, b'12 34 ')
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

BLOCK = 1 << 20


class QuietHandler(WSGIRequestHandler):
    """Logs nothing (the emulator keeps its own request log) and never reuses a
    connection whose request body was abandoned half-way."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        self.close_connection = True

    def log(self, type: str, message: str, *args: Any) -> None:
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def abort(environ: WSGIEnvironment) -> None:
    """Close the client's connection now (FIN), whatever was promised."""
    sock: socket.socket = environ["werkzeug.socket"]
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def drop_connection(environ: WSGIEnvironment, partial: bytes) -> Iterator[bytes]:
    """Response body that sends ``partial`` and then drops the connection."""
    if partial:
        yield partial
    abort(environ)
    raise ConnectionAbortedError("connection dropped on purpose by the emulator")


def body_length(environ: WSGIEnvironment) -> int | None:
    """The request's Content-Length, or None for a chunked body."""
    value = environ.get("CONTENT_LENGTH")
    if value in (None, ""):
        return None
    return int(value)


def read_body(environ: WSGIEnvironment, sink: BinaryIO | None, limit: int | None = None) -> int:
    """Copy the request body to ``sink`` (or discard it) in blocks; return bytes read.

    Reads at most ``limit`` bytes, or the whole body. Never reads past Content-Length:
    the dev server's input stream is the raw socket.
    """
    stream = environ["wsgi.input"]
    bounds = [n for n in (body_length(environ), limit) if n is not None]
    remaining = min(bounds) if bounds else None
    total = 0
    while remaining is None or remaining > 0:
        try:
            block = stream.read(BLOCK if remaining is None else min(BLOCK, remaining))
        except OSError:  # a chunked body cut short
            break
        if not block:
            break
        if sink is not None:
            sink.write(block)
        total += len(block)
        if remaining is not None:
            remaining -= len(block)
    return total


def drain(environ: WSGIEnvironment) -> int:
    """Read and discard the rest of a request body, so that the client sees the answer
    given before it rather than a reset connection. Returns the bytes discarded.

    Only a body with a Content-Length or a chunked one is read: without either, the
    input stream is the bare socket and reading it would wait for the client forever.
    """
    if body_length(environ) is None and not environ.get("wsgi.input_terminated"):
        return 0
    return read_body(environ, None)


def stream_file(
    path: str, start: int, length: int, drop_after: int | None, environ: WSGIEnvironment
) -> Iterator[bytes]:
    """The file's bytes ``[start, start+length)``, or only ``drop_after`` of them and a drop."""
    to_send = length if drop_after is None else drop_after
    with open(path, "rb") as source:
        source.seek(start)
        while to_send > 0:
            block = source.read(min(BLOCK, to_send))
            if not block:
                break
            to_send -= len(block)
            yield block
    if drop_after is not None:
        abort(environ)
        raise ConnectionAbortedError("download dropped on purpose by the emulator")


def ranged_download(
    request: Request,
    environ: WSGIEnvironment,
    path: str,
    *,
    drop: bool,
    unsatisfiable: Callable[[int], Response],
) -> Response:
    """The file at ``path`` as a download, streamed from disk, honouring ``Range``.

    200 with the whole file (empty when there is no file), 206 with ``Content-Range``
    for a satisfiable range, else ``unsatisfiable(size)`` (the host's own 416 body) with
    ``Content-Range: bytes */size``. ``drop`` sends half of the bytes, then closes the
    connection. Every answer that carries bytes says ``Accept-Ranges: bytes``.
    """
    exists = os.path.exists(path)
    size = os.path.getsize(path) if exists else 0
    start, stop, status = 0, size, 200
    if request.range is not None:
        span = request.range.range_for_length(size)
        if span is None:
            refusal = unsatisfiable(size)
            refusal.headers["Content-Range"] = f"bytes */{size}"
            return refusal
        start, stop, status = span[0], span[1], 206
    length = stop - start
    body = (
        stream_file(path, start, length, length // 2 if drop else None, environ)
        if exists
        else iter(())
    )
    response = Response(
        body, status=status, content_type="application/octet-stream", direct_passthrough=True
    )
    response.headers["Content-Length"] = str(length)
    response.headers["Accept-Ranges"] = "bytes"
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return response
