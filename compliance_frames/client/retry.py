"""The one retry policy: when to try a request again, and how long to wait first.

- 429 (rate limited): wait until ``x-rate-limit-reset`` (or ``Retry-After``), if that
  is within ``max_rate_limit_wait``; a usage-cap 429 is never retried. A reset that is
  plainly not epoch seconds (milliseconds, years away, garbage) counts as unknown: the
  exponential backoff then, never a wait of years.
- 500, 502, 503, 504 and connection errors: exponential backoff with jitter,
  ``max_retries`` times at most.
- A request that is not idempotent (creating a job) is never re-sent blindly: when it
  may have reached the server, :class:`AmbiguousRequest` is raised so that the caller
  can look for what it created first.

:meth:`RetryPolicy.run` is the one loop that applies these waits: the API calls
(:meth:`RetryPolicy.call`), creating a job, the resumable upload's chunks and the
download's resumptions all go through it, each saying what an attempt's failure means
by raising :class:`Retry`.

Example:
    >>> policy = RetryPolicy(backoff=1.0, max_backoff=8.0)
    >>> 0.5 <= policy.backoff_delay(0) <= 1.0, 4.0 <= policy.backoff_delay(5) <= 8.0
    (True, True)
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import requests
from urllib3.exceptions import NewConnectionError

from ..errors import NetworkError
from ..hints import Argument, Choice, Environment, Hint
from . import clock
from .polling import reset_epoch
from .servertime import skew_from_date

log = logging.getLogger("compliance_frames")

RETRY_STATUSES = frozenset({500, 502, 503, 504})
_RATE_LIMIT_MARGIN = 1.0
_SECONDS = re.compile(r"[0-9]{1,9}")
T = TypeVar("T")


class AmbiguousRequest(Exception):
    """A non-idempotent request failed after it may have reached the server."""

    def __init__(self, reason: str, response: requests.Response | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.response = response


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait.

    Args:
        max_retries: retries after the first attempt, for 5xx and connection errors,
            and for 429s.
        backoff: the first backoff in seconds; it doubles each retry (with jitter).
        max_backoff: the longest backoff.
        max_rate_limit_wait: the longest wait for a rate window to reset; a 429 whose
            reset is further away is raised as :class:`RateLimitError`.
    """

    max_retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_rate_limit_wait: float = 16 * 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("max_retries, backoff and max_backoff must be >= 0")

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt + 1`` (half to full jitter)."""
        ceiling = min(self.max_backoff, self.backoff * (2.0**attempt))
        return ceiling * random.uniform(0.5, 1.0)

    def rate_limit_delay(self, response: requests.Response, attempt: int = 0) -> float | None:
        """Seconds until the rate window reopens, or None if longer than we will wait.

        The reset comes from ``x-rate-limit-reset`` if believable (see
        :func:`~compliance_frames.client.polling.reset_epoch`), else ``Retry-After``
        seconds; with neither, the backoff of retry number ``attempt + 1``.

        Example:
            >>> response = requests.Response()
            >>> response.headers["x-rate-limit-reset"] = "99999999999999"  # not seconds
            >>> 0.5 <= RetryPolicy(backoff=1.0).rate_limit_delay(response) <= 1.0
            True
        """
        # The reset is on the server's clock: judged by the answer's own Date when it has one.
        local = clock.now()
        server_now = local + (skew_from_date(response.headers.get("Date"), local) or 0.0)
        reset = reset_epoch(response.headers.get("x-rate-limit-reset"), now=server_now)
        retry_after = response.headers.get("Retry-After", "").strip()
        if reset is not None:
            delay = reset - server_now + _RATE_LIMIT_MARGIN
        elif _SECONDS.fullmatch(retry_after):
            delay = float(retry_after)
        else:
            delay = self.backoff_delay(attempt)
        delay = max(delay, 0.0)
        return delay if delay <= self.max_rate_limit_wait else None

    def run(
        self,
        attempt: Callable[[int], T],
        *,
        what: str,
        give_up: Callable[[Retry, int], T],
        longest: Callable[[], float | None] | None = None,
    ) -> T:
        """The one retry loop: call ``attempt(retries)`` until it returns.

        An attempt that raises :class:`Retry` is tried again after the wait the policy
        decides (the :class:`Retry`'s own ``delay`` if it has one, a 429's reset say,
        else :meth:`backoff_delay`; at most ``longest()`` when given), ``max_retries``
        times at most; then ``give_up(last_retry, attempts)`` returns or raises. Any
        other exception ends the loop at once. Every wait goes through
        :func:`~compliance_frames.client.clock.sleep`.

        Example:
            >>> answers = iter([Retry("answered 503"), "done"])
            >>> def attempt(retries):
            ...     answer = next(answers)
            ...     if isinstance(answer, Retry):
            ...         raise answer
            ...     return answer
            >>> RetryPolicy(backoff=0.0).run(attempt, what="a call", give_up=Retry.reraise)
            'done'
        """
        retries = 0
        while True:
            try:
                return attempt(retries)
            except Retry as retry:
                if retries >= self.max_retries:
                    return give_up(retry, retries + 1)
                delay = retry.delay if retry.delay is not None else self.backoff_delay(retries)
                bound = longest() if longest is not None else None
                delay = delay if bound is None else min(delay, bound)
                log.warning("%s: %s; %s in %.1f s", what, retry.reason, retry.then, delay)
            clock.sleep(delay)
            retries += 1

    def call(
        self,
        send: Callable[[], requests.Response],
        *,
        what: str,
        idempotent: bool = True,
    ) -> requests.Response:
        """Send (and re-send, through :meth:`run`) one request; return the last response.

        Error responses are returned, not raised: the caller knows what they mean (a 429
        or 5xx that outlasts the retries included). Connection failures that outlast the
        retries raise :class:`NetworkError`. A request that is not idempotent and may
        have reached the server raises :class:`AmbiguousRequest` instead of being re-sent.
        """

        failures: list[requests.RequestException] = []

        def attempt(retries: int) -> requests.Response:
            try:
                response = send()
            except requests.RequestException as exc:
                if not idempotent and _may_have_been_sent(exc):
                    raise AmbiguousRequest(f"{what}: {_describe(exc)}") from exc
                if not _retriable(exc):
                    # Not chained: requests' message holds the URL, a credential when signed.
                    raise NetworkError(
                        _network_message(what, exc, retries), hint=NETWORK_HINT
                    ) from None
                failures.append(exc)
                raise Retry(f"failed ({_describe(exc)})") from None
            self._check_response(response, retries, idempotent, what)
            return response

        def give_up(retry: Retry, attempts: int) -> requests.Response:
            if retry.response is not None:
                return retry.response
            raise NetworkError(
                _network_message(what, failures[-1], attempts - 1), hint=NETWORK_HINT
            ) from None

        return self.run(attempt, what=what, give_up=give_up)

    def _check_response(
        self, response: requests.Response, retries: int, idempotent: bool, what: str
    ) -> None:
        """Raise :class:`Retry` for an answer worth another try (see the module's rules)."""
        status = response.status_code
        if status == 429 and not _usage_capped(response):
            delay = self.rate_limit_delay(response, retries)
            if delay is not None:
                raise Retry(
                    "rate limited (429)", delay=delay, response=response, then="trying again"
                )
        if status in RETRY_STATUSES:
            if not idempotent:
                response.close()
                raise AmbiguousRequest(f"{what}: answered {status}", response)
            if retries < self.max_retries:
                response.close()
            raise Retry(f"answered {status}", response=response)


class Retry(Exception):
    """Raised by an attempt of :meth:`RetryPolicy.run` to be tried again.

    Args:
        reason: what went wrong, for the log and the final error.
        delay: how long to wait first (None: the policy's backoff).
        response: the answer, returned as is once the retries are spent (None: the
            loop's ``give_up`` says what happens then).
        then: what comes after the wait, for the log.
    """

    def __init__(
        self,
        reason: str,
        *,
        delay: float | None = None,
        response: requests.Response | None = None,
        then: str = "retrying",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.response = response
        self.then = then

    @staticmethod
    def reraise(retry: Retry, attempts: int) -> NoReturn:
        """A ``give_up`` that raises the last :class:`Retry` itself."""
        raise retry


def _may_have_been_sent(exc: requests.RequestException) -> bool:
    """False only when the connection was never made (nothing reached the server)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return not isinstance(reason, NewConnectionError)


def _retriable(exc: requests.RequestException) -> bool:
    return isinstance(
        exc,
        (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError),
    )


def _usage_capped(response: requests.Response) -> bool:
    return "usage-capped" in response.text[:2000]


def _describe(exc: BaseException) -> str:
    # requests' messages can hold the URL; for signed URLs that is a credential.
    return type(exc).__name__


def _network_message(what: str, exc: requests.RequestException, attempt: int) -> str:
    tries = f" after {attempt + 1} attempts" if attempt else ""
    return (
        f"Could not reach the server for {what}{tries} ({_describe(exc)}). If you use the "
        "emulator, is it running?"
    )


NETWORK_HINT = Hint(
    Choice("check your network"),
    Choice(
        "check the API root that API calls go to, set by ",
        Argument("base_url", python="Client(base_url=...)"),
    ),
    Choice("by the ", Environment("X_API_BASE_URL"), " environment variable"),
)
"""What to do when the server cannot be reached: the API root is set in two places."""
