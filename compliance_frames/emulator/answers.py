"""How the API host answers: JSON bodies, RFC 7807 problems, and the headers every answer has.

Example:
    >>> answers = Answers("2.168")
    >>> response = answers.problem({"title": "Conflict", "type": "about:blank"}, 409)
    >>> response.status_code, response.mimetype, response.headers["api-version"]
    (409, 'application/problem+json', '2.168')
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from . import bodies
from .wire import drop_connection

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API_VERSIONS = {"bytepath": "2.168", "gcs": "2.159"}
"""The ``api-version`` header of each flow: the OpenAPI description it follows."""


@dataclass
class Answer:
    """A response, and how the connection ends.

    ``response`` None closes the connection at once without an answer (an upload cut
    short); ``cut`` sends the headers and half of the body, then closes; ``dropped``
    says the connection is closed on purpose (by ``cut``, by None, or by the body of a
    download that stops half-way by itself).
    """

    response: Response | None
    cut: bool = False
    dropped: bool = False


class Answers:
    """Builds the API host's responses for one ``api-version``."""

    def __init__(self, version: str) -> None:
        self.version = version

    def headers(self) -> dict[str, str]:
        """The headers of every answer."""
        return {"api-version": self.version, "cache-control": "no-cache, no-store, max-age=0"}

    def json(self, body: dict[str, Any], status: int = 200) -> Response:
        """A JSON answer (``application/json; charset=utf-8``)."""
        response = Response(
            json.dumps(body, separators=(",", ":")),
            status=status,
            content_type="application/json; charset=utf-8",
        )
        response.headers.update(self.headers())
        return response

    def problem(
        self, body: dict[str, Any], status: int, headers: dict[str, str] | None = None
    ) -> Response:
        """An RFC 7807 problem (``application/problem+json``)."""
        response = Response(
            json.dumps(body, separators=(",", ":")),
            status=status,
            content_type="application/problem+json",
        )
        response.headers.update(self.headers())
        if headers:
            response.headers.update(headers)
        return response

    def invalid(self, errors: list[dict[str, Any]]) -> Response:
        """400 invalid-request with these parameter errors."""
        return self.problem(bodies.invalid_request(errors), 400)


def half_then_drop(
    response: Response, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterator[bytes]:
    """Send the headers and half of the body, then close the connection."""
    body = response.get_data()
    start_response(response.status, list(response.headers.items()))
    return drop_connection(environ, body[: len(body) // 2])
