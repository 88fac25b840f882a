"""HTTP to the API and to the transfer URLs, with one rule for the bearer token.

The token goes on a request exactly when the URL's origin (scheme, host, port) is the
API base URL's origin. That one rule serves both generations of the service: the
2026 byte-path transfer URLs live on the API host and need the token; the older
signed URLs live on a storage host and must never see it. Requests to any other
origin go through a session of their own that strips an ``Authorization`` header
whatever puts it there (netrc included).

Text from a server (an error page, a problem's detail) may echo the token back:
:meth:`Token.mask` (and :meth:`HTTPTransport.mask`) hides it before that text reaches a
message, an exception or a log line. A token that cannot be sent as a header at all is
refused by :func:`resolve_token`, without showing it.

Example:
    >>> token = Token("secret-token")
    >>> repr(token), str(token), token.mask("you sent Bearer secret-token")
    ("Token('***')", '***', 'you sent Bearer ***')
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
import unicodedata
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from .._version import __version__
from ..errors import ConfigurationError, ServerError
from ..hints import Argument, Choice, Environment, Hint, Spelled
from ..models import shown

DEFAULT_BASE_URL = "https://api.x.com"
USER_AGENT = f"compliance-frames/{__version__}"
_BLOCK = 1 << 20
MASK = "***"
_MIN_MASKED = 8
"""Shorter tokens are not masked: they are no secret (an emulator's ``"t"``), and hiding
every ``t`` would garble every message."""


class Token:
    """A bearer token that never shows itself in a repr, a log line or an f-string."""

    __slots__ = ("_forms", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        # As sent, and as a server may echo it: percent-encoded or percent-decoded.
        forms = {value, quote(value, safe=""), unquote(value)}
        self._forms = sorted(
            (form for form in forms if len(form) >= _MIN_MASKED), key=len, reverse=True
        )

    def reveal(self) -> str:
        """The token itself, for the Authorization header only."""
        return self._value

    def mask(self, text: str) -> str:
        """``text`` with the token (as sent, percent-encoded or -decoded) replaced by ``***``.

        Example:
            >>> Token("abc/def=ghi").mask("echo: abc%2Fdef%3Dghi and abc/def=ghi")
            'echo: *** and ***'
        """
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def __repr__(self) -> str:
        return "Token('***')"

    def __str__(self) -> str:
        return "***"

    def __reduce__(self) -> Any:
        raise TypeError("a bearer token is not picklable")


_CHARACTER_NAMES = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\t": "a tab",
    "\x00": "a NUL character",
}


def header_problem(value: str) -> str | None:
    r"""What keeps ``value`` from being sent in an HTTP header (a control character, a
    character outside Latin-1) and where, without showing ``value``; None if nothing.

    Example:
        >>> header_problem("abc\ndef"), header_problem("ok")
        ('a newline at position 4', None)
        >>> header_problem("it\u2019s")
        'a character outside Latin-1 (U+2019 RIGHT SINGLE QUOTATION MARK) at position 3'
    """
    for position, character in enumerate(value, start=1):
        if unicodedata.category(character) == "Cc":
            what = _CHARACTER_NAMES.get(character, f"a control character (U+{ord(character):04X})")
        elif ord(character) > 0xFF:
            name = unicodedata.name(character, "")
            what = (
                f"a character outside Latin-1 (U+{ord(character):04X}{' ' + name if name else ''})"
            )
        else:
            continue
        return f"{what} at position {position}"
    return None


def resolve_token(bearer_token: str | None) -> Token:
    r"""The token from the argument or ``BEARER_TOKEN``, checked to be sendable as a header.

    Example:
        >>> resolve_token("  AAAA%2Fsecret  ").mask("AAAA%2Fsecret")
        '***'
        >>> try:
        ...     resolve_token("AAAA\nsecret")
        ... except ConfigurationError as exc:
        ...     print(str(exc).split(":")[0])
        The bearer token has a newline at position 5 (of 11 characters, counting from 1)
    """
    value = bearer_token if bearer_token is not None else os.environ.get("BEARER_TOKEN")
    if not value or not value.strip():
        raise ConfigurationError(
            "No bearer token.",
            hint=Hint(
                Choice("pass ", Argument("bearer_token", python="Client(bearer_token=...)")),
                Choice(
                    "set the ",
                    Environment("BEARER_TOKEN"),
                    " environment variable to your app's bearer token (developer portal, "
                    "'Keys and tokens')",
                ),
                Choice(
                    "to try things offline, ",
                    Spelled(
                        "start an `Emulator()` and use its bearer_token",
                        "start `compliance-frames emulator` and export the token it prints",
                    ),
                ),
            ),
        )
    value = value.strip()
    problem = header_problem(value)
    if problem is not None:
        raise ConfigurationError(
            f"The bearer token has {problem} (of {len(value)} characters, counting from 1): "
            "it cannot be sent in an HTTP header, so it is not the token X gave.",
            hint=Hint(
                Choice(
                    "copy it again from the developer portal ('Keys and tokens') as one line, "
                    "without quotes or line breaks, into ",
                    Environment("BEARER_TOKEN"),
                    Spelled(" or Client(bearer_token=...)", ""),
                )
            ),
        )
    return Token(value)


def resolve_base_url(base_url: str | None) -> str:
    """The API root from the argument, ``X_API_BASE_URL`` or the default; checked."""
    value = base_url or os.environ.get("X_API_BASE_URL") or DEFAULT_BASE_URL
    value = value.rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"The base URL {value!r} is not an http(s) URL.",
            hint=Hint(
                Choice(
                    "use ",
                    Argument("base_url", DEFAULT_BASE_URL),
                    " (or set ",
                    Environment("X_API_BASE_URL"),
                    ")",
                ),
                "the base URL the emulator prints",
            ),
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


def check_transfer_url(url: str, base_url: str, what: str) -> str:
    """``url`` if a transfer may go there; else :class:`ServerError` saying why.

    It must be an absolute http(s) URL, and not plain http to another machine while the
    API itself is https (nothing is sent over such a downgrade). ``what`` names the URL
    in the message.

    Example:
        >>> check_transfer_url("https://storage.example/o?sig=1", "https://api.x.com", "a URL")
        'https://storage.example/o?sig=1'
        >>> try:
        ...     check_transfer_url("http://storage.example/o", "https://api.x.com", "the URL")
        ... except ServerError as exc:
        ...     print(str(exc).split(", which ")[1].split(":")[0])
        is plain http to storage.example while the API is https
    """
    problem = url_problem(url, base_url)
    if problem is None:
        return url
    raise ServerError(
        f"X gave {what} {shown(url, 120)}, which {problem}. The fault is on X's side (or a "
        "proxy's): get the job again later, or create a new one."
    )


def url_problem(url: object, base_url: str | None = None) -> str | None:
    """What keeps ``url`` from being a transfer's URL (said after "which"), or None: not
    an absolute http(s) URL, or (given the API's ``base_url``) a downgrade to plain http.

    Example:
        >>> url_problem("/upload"), url_problem("https://storage.example/o")
        ('is not an absolute http(s) URL', None)
    """
    if not isinstance(url, str):
        return "is not a URL"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return "is not an absolute http(s) URL"
    if origin(url)[2] == -1:
        return "has a port that is not a number"
    if (
        base_url is not None
        and scheme == "http"
        and origin(base_url)[0] == "https"
        and not is_loopback(parts.hostname)
    ):
        return (
            f"is plain http to {parts.hostname} while the API is https: nothing is sent over "
            "such a downgrade"
        )
    return None


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


class Transport(Protocol):
    """What :class:`~compliance_frames.client.Client` needs of a transport: one request at
    a time to the API or to a transfer URL, each answered with a response (error
    statuses included); retries are the caller's (see
    :class:`~compliance_frames.client.retry.RetryPolicy`). The default is
    :class:`HTTPTransport`; ``Client(transport=...)`` takes any other (a test double
    answering scripted responses, say). The bearer token is the transport's own
    business: a client given a transport never holds one.
    """

    base_url: str
    """The API root, its origin the only one that may see a credential."""
    timeout: float
    """Seconds to wait for the server on each request."""

    def api(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> requests.Response:
        """Send one request to the API (``path`` under :attr:`base_url`)."""
        ...

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
        """Send one request to a job's upload or download URL (``what`` names it in
        messages); ``data`` may be a callable returning the body."""
        ...

    def mask(self, text: str) -> str:
        """``text`` (from a server) with any credential hidden."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class HTTPTransport:
    """The default :class:`Transport`: requests sessions, the bearer token sent to the API's
    origin only, no redirects followed on a transfer.

    Example:
        >>> transport = HTTPTransport("http://127.0.0.1:8099", Token("secret-token"), timeout=5)
        >>> transport.mask("Bearer secret-token"), transport.carries_token("http://127.0.0.1:8099/x")
        ('Bearer ***', True)
    """

    def __init__(self, base_url: str, token: Token, *, timeout: float) -> None:
        self.base_url = base_url
        self.timeout = timeout
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

    def mask(self, text: str) -> str:
        """``text`` (from a server) with the bearer token hidden (see :meth:`Token.mask`)."""
        return self._token.mask(text)

    def api(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> requests.Response:
        """One request to the API host, with the bearer token."""
        return self.api_session.request(
            method,
            self.base_url + path,
            params=params,
            json=json,
            headers=self._authorization(),
            timeout=self.timeout,
        )

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
    ) -> requests.Response:
        """One request to a job's upload or download URL.

        The bearer token goes along exactly when ``url`` is on the API's origin (the
        byte-path flow); to any other origin (a storage host's signed URL) it never
        does. Redirects are not followed: a transfer goes where the job said or fails; a
        URL that is not absolute http(s), or a downgrade to plain http, is refused
        (:func:`check_transfer_url`) before anything is sent.
        ``data`` may be a callable returning a fresh body for each attempt (a file
        re-opened, say): a caller that retries calls this again.
        """
        check_transfer_url(url, self.base_url, f"the URL for {what}")
        own = self.carries_token(url)
        sent = dict(headers or {})
        if own:
            sent.update(self._authorization())

        return self.transfer_session.request(
            method,
            url,
            headers=sent,
            data=data() if callable(data) else data,
            stream=stream,
            auth=None if own else _NoAuthorization(),
            timeout=self.timeout,
            allow_redirects=False,
        )

    def close(self) -> None:
        """Close every session's connections."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
