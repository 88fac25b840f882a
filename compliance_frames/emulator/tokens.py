"""The ``token`` query parameter of byte-path upload and download URLs.

A token is minted per job and per purpose (``upload`` or ``download``) and carries its
expiry: an HMAC-SHA256 of (job id, purpose, expiry) under the emulator's secret key,
URL-safe base64. The token of one job or purpose is useless for another, and changing
the expiry breaks the signature.

Example:
    >>> tokens = TransferTokens(b"key")
    >>> token = tokens.mint("1", "upload", expires_at=100.0)
    >>> tokens.check(token, "1", "upload", now=10.0).verdict
    <TokenVerdict.VALID: 'valid'>
    >>> tokens.check(token, "1", "download", now=10.0).verdict
    <TokenVerdict.WRONG_PURPOSE: 'wrong-purpose'>
    >>> tokens.check(token, "2", "upload", now=10.0).verdict
    <TokenVerdict.INVALID: 'invalid'>
    >>> tokens.check(token, "1", "upload", now=100.0).verdict
    <TokenVerdict.EXPIRED: 'expired'>
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
from dataclasses import dataclass

_MARK = {"upload": b"u", "download": b"d"}
_PURPOSE_OF = {mark: purpose for purpose, mark in _MARK.items()}
_LENGTH = 1 + 8 + 32  # purpose mark, expiry in ms, HMAC-SHA256


class TokenVerdict(enum.Enum):
    """What checking a transfer token found."""

    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"
    """Malformed, or signed for another job."""
    WRONG_PURPOSE = "wrong-purpose"
    """This job's token, but for the other transfer (a download token on the upload)."""
    EXPIRED = "expired"


@dataclass(frozen=True)
class TokenCheck:
    """The verdict on a token, with its expiry (epoch seconds) once the signature holds."""

    verdict: TokenVerdict
    expires_at: float | None = None


class TransferTokens:
    """Mints and checks the tokens of byte-path transfer URLs under one secret key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def mint(self, job_id: str, purpose: str, *, expires_at: float) -> str:
        """A token for ``purpose`` (``upload`` or ``download``) on this job until ``expires_at``."""
        mark = _MARK[purpose]
        expiry = round(expires_at * 1000).to_bytes(8, "big")
        raw = mark + expiry + self._mac(job_id, mark, expiry)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def check(self, token: str | None, job_id: str, purpose: str, *, now: float) -> TokenCheck:
        """Whether ``token`` lets ``purpose`` happen on this job at ``now``."""
        if not token:
            return TokenCheck(TokenVerdict.MISSING)
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return TokenCheck(TokenVerdict.INVALID)
        if len(raw) != _LENGTH or raw[:1] not in _PURPOSE_OF:
            return TokenCheck(TokenVerdict.INVALID)
        mark, expiry, mac = raw[:1], raw[1:9], raw[9:]
        if not hmac.compare_digest(mac, self._mac(job_id, mark, expiry)):
            return TokenCheck(TokenVerdict.INVALID)
        expires_at = int.from_bytes(expiry, "big") / 1000
        if _PURPOSE_OF[mark] != purpose:
            return TokenCheck(TokenVerdict.WRONG_PURPOSE, expires_at)
        if now >= expires_at:
            return TokenCheck(TokenVerdict.EXPIRED, expires_at)
        return TokenCheck(TokenVerdict.VALID, expires_at)

    def _mac(self, job_id: str, mark: bytes, expiry: bytes) -> bytes:
        message = b"compliance-transfer\x00" + job_id.encode() + b"\x00" + mark + expiry
        return hmac.new(self._key, message, hashlib.sha256).digest()
