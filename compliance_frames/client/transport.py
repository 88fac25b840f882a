"""HTTP to the API and to the transfer URLs, with one rule for the bearer token.

The token goes on a request exactly when the URL's origin (scheme, host, port) is the
API base URL's origin. That one rule serves both generations of the service: the
2026 byte-path transfer URLs live on the API host and need the token; the older
signed URLs live on a storage host and must never see it. Requests to any other
origin go through a session of their own that strips an ``Authorization`` header
whatever puts it there (netrc included).

Example:
    >>> token = Token("secret")
    >>> repr(token), str(token)
    ("Token('***')", '***')
    >>> same_origin("https://api.x.com:443/2/compliance/jobs/1/upload?token=t",
    ...             "https://api.x.com")
    True
    >>> same_origin("https://storage.googleapis.com/b/o", "https://api.x.com")
    False
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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """A URL's origin: (scheme, host, port), the port made explicit, case folded."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: an origin of its own, never the API's
        return scheme, (parts.hostname or "").lower(), -1
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def same_origin(url: str, base_url: str) -> bool:
    """Whether ``url`` is on the API's own origin (and so may carry the bearer token)."""
    return origin(url) == origin(base_url)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoAuthorization(requests.auth.AuthBase):
    """Makes sure no Authorization header leaves for another origin (not even from netrc)."""

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
    def transfer_session(self) -> requests.Session:
        """This thread's session for uploads and downloads (1 MiB body blocks). It holds no
        credentials: :meth:`transfer` adds the token per request, to the API's origin only."""
        session: requests.Session | None = getattr(self._local, "transfer", None)
        if session is None:
            session = self._local.transfer = self._new_session(large_blocks=True)
        return session

    def _authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.reveal()}"}

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

        def send() -> requests.Response:
            return self.api_session.request(
                method,
                url,
                params=params,
                json=json,
                headers=self._authorization(),
                timeout=self.timeout,
            )

        return self.policy.call(send, what=f"{method} {path}", idempotent=idempotent)

    def carries_token(self, url: str) -> bool:
        """Whether a transfer to ``url`` gets the bearer token: only on the API's origin."""
        return same_origin(url, self.base_url)

    def transfer(
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
        """A request to a job's upload or download URL.

        The bearer token goes along exactly when ``url`` is on the API's origin (the
        byte-path flow); to any other origin (a storage host's signed URL) it never
        does. Redirects are not followed: a transfer goes where the job said or fails.
        ``data`` may be a callable returning a fresh body for each attempt (a file
        re-opened, say).
        """
        own = self.carries_token(url)
        sent = dict(headers or {})
        if own:
            sent.update(self._authorization())

        def send() -> requests.Response:
            body = data() if callable(data) else data
            return self.transfer_session.request(
                method,
                url,
                headers=sent,
                data=body,
                stream=stream,
                auth=None if own else _NoAuthorization(),
                timeout=self.timeout,
                allow_redirects=False,
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
