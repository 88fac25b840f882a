"""HTTP to the two hosts: the API (with the bearer token) and storage (never with it).

Two separate ``requests`` sessions keep the token away from signed URLs: only the API
session's requests get an ``Authorization`` header, and the storage session strips
any it might be given (netrc included).

Example:
    >>> token = Token("secret")
    >>> repr(token), str(token)
    ("Token('***')", '***')
"""

from __future__ import annotations

import ipaddress
import os
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from .._version import __version__
from ..errors import ConfigurationError
from .retry import RetryPolicy

DEFAULT_BASE_URL = "https://api.x.com"
USER_AGENT = f"compliance-frames/{__version__}"
_BLOCK = 1 << 20


class Token:
    """A bearer token that never shows itself in a repr, a log line or an f-string."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The token itself, for the Authorization header only."""
        return self._value

    def __repr__(self) -> str:
        return "Token('***')"

    def __str__(self) -> str:
        return "***"

    def __reduce__(self) -> Any:
        raise TypeError("a bearer token is not picklable")


def resolve_token(bearer_token: str | None) -> Token:
    """The token from the argument or ``BEARER_TOKEN``."""
    value = bearer_token if bearer_token is not None else os.environ.get("BEARER_TOKEN")
    if not value or not value.strip():
        raise ConfigurationError(
            "No bearer token: pass Client(bearer_token=...) or set the BEARER_TOKEN environment "
            "variable to your app's bearer token (developer portal, 'Keys and tokens'). "
            "To try things offline, start an Emulator() and use its bearer_token."
        )
    return Token(value.strip())


def resolve_base_url(base_url: str | None) -> str:
    """The API root from the argument, ``X_API_BASE_URL`` or the default; checked."""
    value = base_url or os.environ.get("X_API_BASE_URL") or DEFAULT_BASE_URL
    value = value.rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"The base URL {value!r} is not an http(s) URL. Use https://api.x.com, or the "
            "base_url printed by the emulator."
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"Refusing to send the bearer token over plain http to {parts.hostname}: anyone on "
            "the way could read it. Use https, or an emulator on 127.0.0.1."
        )
    return value


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoAuthorization(requests.auth.AuthBase):
    """Makes sure no Authorization header leaves for a signed URL (not even from netrc)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        return request


class _LargeBlocks(HTTPAdapter):
    """Sends request bodies in 1 MiB blocks (urllib3's default 16 KiB is slow on big uploads)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["blocksize"] = _BLOCK
        super().init_poolmanager(*args, **kwargs)


class Transport:
    """Sends the client's requests, each through the retry policy."""

    def __init__(self, base_url: str, token: Token, *, timeout: float, policy: RetryPolicy) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.policy = policy
        self._token = token
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def _new_session(self, large_blocks: bool) -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        if large_blocks:
            for scheme in ("http://", "https://"):
                session.mount(scheme, _LargeBlocks())
        with self._lock:
            self._sessions.append(session)
        return session

    @property
    def api_session(self) -> requests.Session:
        """This thread's session to the API host (requests sessions are not thread-safe)."""
        session: requests.Session | None = getattr(self._local, "api", None)
        if session is None:
            session = self._local.api = self._new_session(large_blocks=False)
        return session

    @property
    def storage_session(self) -> requests.Session:
        """This thread's session to the storage host: never carries the token."""
        session: requests.Session | None = getattr(self._local, "storage", None)
        if session is None:
            session = self._local.storage = self._new_session(large_blocks=True)
        return session

    def api(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> requests.Response:
        """A request to the API host, with the bearer token."""
        url = self.base_url + path
        headers = {"Authorization": f"Bearer {self._token.reveal()}"}

        def send() -> requests.Response:
            return self.api_session.request(
                method, url, params=params, json=json, headers=headers, timeout=self.timeout
            )

        return self.policy.call(send, what=f"{method} {path}", idempotent=idempotent)

    def storage(
        self,
        method: str,
        url: str,
        *,
        what: str,
        headers: dict[str, str] | None = None,
        data: Any = None,
        stream: bool = False,
        retry: bool = True,
    ) -> requests.Response:
        """A request to a signed URL, never with the token. ``data`` may be a callable
        returning a fresh body for each attempt (a file re-opened, say)."""

        def send() -> requests.Response:
            body = data() if callable(data) else data
            return self.storage_session.request(
                method,
                url,
                headers=headers,
                data=body,
                stream=stream,
                auth=_NoAuthorization(),
                timeout=self.timeout,
            )

        if not retry:
            return send()
        return self.policy.call(send, what=what)

    def close(self) -> None:
        """Close every session's connections."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
