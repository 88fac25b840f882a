"""Stand-in servers for tests: a handler served over real HTTP on 127.0.0.1, in a thread,
with a record of every request it was sent.

A handler takes a werkzeug ``Request`` and returns a WSGI application to answer with
(a werkzeug ``Response`` is one). It may misbehave as it likes: that is what stand-ins
are for.

Example:
    >>> import requests
    >>> from werkzeug.wrappers import Request, Response
    >>> def hello(request: Request) -> Response:
    ...     return Response("hi " + request.args.get("who", "?"))
    >>> with standin(hello) as server:
    ...     text = requests.get(server.url + "/greet?who=you", headers={"X-A": "b"}).text
    >>> text, server.requests[0].path, server.requests[0].query, server.requests[0].headers["X-A"]
    ('hi you', '/greet', {'who': 'you'}, 'b')
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

__all__ = ["Handler", "Seen", "StandIn", "standin"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Handler = Callable[[Request], WSGIApp]
"""What a stand-in runs for each request: a request in, a WSGI app (a Response) out."""


@dataclass(frozen=True)
class Seen:
    """One request as the stand-in received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class StandIn:
    """A running stand-in: its base URL (``http://127.0.0.1:PORT``) and what it was sent."""

    url: str
    requests: list[Seen] = field(default_factory=list)


class _Quiet(WSGIRequestHandler):
    """No access log on stderr."""

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


@contextmanager
def standin(handler: Handler) -> Iterator[StandIn]:
    """Serve ``handler`` on a free port of 127.0.0.1 until the block ends."""
    lock = threading.Lock()
    server: StandIn | None = None

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        seen = Seen(
            method=request.method,
            path=request.path,
            query=dict(request.args.items()),
            headers=dict(request.headers.items()),
            body=request.get_data(cache=True),
        )
        with lock:
            assert server is not None
            server.requests.append(seen)
        return handler(request)(environ, start_response)

    wsgi = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    server = StandIn(url=f"http://127.0.0.1:{wsgi.server_port}")
    thread = threading.Thread(
        target=wsgi.serve_forever, kwargs={"poll_interval": 0.05}, name="stand-in", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        wsgi.shutdown()
        wsgi.server_close()
        thread.join(timeout=10)
