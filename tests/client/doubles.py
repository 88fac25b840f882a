"""A transport that answers scripted responses, in memory: for fast unit tests of the
client's decisions (``Client(transport=ScriptedTransport(...))``). It holds no token:
a client given it has none to leak."""

from __future__ import annotations

import io
import json as jsonlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests

BASE_URL = "https://api.x.com"


def answer(
    status: int = 200,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> requests.Response:
    """A response as requests would give it: ``body`` sent as JSON, else ``content``."""
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    if body is not None:
        response._content = jsonlib.dumps(body).encode()
        response.headers.setdefault("Content-Type", "application/json")
    else:
        response._content = content or b""
    response.encoding = "utf-8"
    response.raw = io.BytesIO(response._content)
    response._content_consumed = True
    return response


Script = requests.Response | BaseException | Callable[["Sent"], requests.Response]


@dataclass(frozen=True)
class Sent:
    """A request the double received."""

    method: str
    url: str
    params: dict[str, str] | None = None
    json: Any = None
    headers: dict[str, str] | None = None


@dataclass
class ScriptedTransport:
    """Answers each request with the next scripted item: a response, an exception to
    raise (a dropped connection), or a callable given the request."""

    script: list[Script] = field(default_factory=list)
    base_url: str = BASE_URL
    timeout: float = 5.0
    sent: list[Sent] = field(default_factory=list)
    closed: bool = False

    def then(self, *items: Script | Iterable[Script]) -> ScriptedTransport:
        for item in items:
            if isinstance(item, (requests.Response, BaseException)) or callable(item):
                self.script.append(item)  # type: ignore[arg-type]
            else:
                self.script.extend(item)
        return self

    def _next(self, sent: Sent) -> requests.Response:
        self.sent.append(sent)
        if not self.script:
            raise AssertionError(f"no answer scripted for {sent.method} {sent.url}")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, requests.Response):
            return item
        return item(sent)

    def api(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> requests.Response:
        return self._next(Sent(method, self.base_url + path, params=params, json=json))

    def transfer(
        self,
        method: str,
        url: str,
        *,
        what: str,
        headers: dict[str, str] | None = None,
        data: Any = None,
        stream: bool = False,
    ) -> requests.Response:
        if callable(data):
            data = data()
        return self._next(Sent(method, url, headers=dict(headers or {})))

    def mask(self, text: str) -> str:
        return text

    def close(self) -> None:
        self.closed = True


def job_body(
    job_id: str = "1",
    *,
    type: str = "tweets",
    status: str = "created",
    name: str | None = None,
    created_at: str = "2023-11-14T22:13:20.000Z",
    **fields: Any,
) -> dict[str, Any]:
    """The ``data`` of a job as X sends it."""
    data: dict[str, Any] = {
        "id": job_id,
        "type": type,
        "status": status,
        "created_at": created_at,
        "upload_url": f"{BASE_URL}/2/compliance/jobs/{job_id}/upload",
        "upload_expires_at": "2023-11-14T22:28:20.000Z",
        "download_url": f"{BASE_URL}/2/compliance/jobs/{job_id}/download",
        "download_expires_at": "2023-11-21T22:13:20.000Z",
        "resumable": False,
        **fields,
    }
    if name is not None:
        data["name"] = name
    return data
