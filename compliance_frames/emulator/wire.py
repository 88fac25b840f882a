"""Connection-level helpers for the emulated hosts: a quiet, drop-safe request handler,
bounded reading of request bodies, streaming files, and closing a connection in the
middle of a body.

Example:
    >>> import io
    >>> environ = {"wsgi.input": io.BytesIO(b"12 34 "), "CONTENT_LENGTH": "6"}
    >>> sink = io.BytesIO()
    >>> read_body(environ, sink), sink.getvalue()
    (6, b'12 34 ')
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from werkzeug.serving import WSGIRequestHandler

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
