"""Signed URLs in the shape of Google Cloud Storage V4 signatures.

The real service signs with an RSA key (``GOOG4-RSA-SHA256``, 512 hex digits). The
emulator keeps the same query parameters and signature length but computes the
signature as an HMAC-SHA512 expansion under a secret key, over the same canonical
request: method, path, sorted query, the signed headers' values. Changing any
signed part of a URL, or sending a different value for a signed header (say
``Content-Type: application/octet-stream`` to an upload URL), breaks the signature.

Example:
    >>> signer = URLSigner(b"key", "http://127.0.0.1:9")
    >>> url = signer.sign("GET", "/bucket/o", {"host": "127.0.0.1:9"}, issued=0, expires_in=60)
    >>> url.startswith("http://127.0.0.1:9/bucket/o?X-Goog-Algorithm=GOOG4-RSA-SHA256")
    True
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import quote

ALGORITHM = "GOOG4-RSA-SHA256"
CREDENTIAL_ACCOUNT = (
    "complianceapi-emulator-svc-acct@compliance-frames-emulator.iam.gserviceaccount.com"
)
_SIGNATURE = "X-Goog-Signature"


class Verdict(enum.Enum):
    """The outcome of checking a signed request."""

    VALID = "valid"
    MALFORMED = "malformed"
    EXPIRED = "expired"
    MISMATCH = "mismatch"


def goog_date(epoch: float) -> str:
    """Format epoch seconds as ``X-Goog-Date`` (``20211007T074118Z``)."""
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _parse_goog_date(value: str) -> float:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()


class URLSigner:
    """Mints and checks signed URLs for one storage origin (``scheme://host:port``)."""

    def __init__(self, key: bytes, origin: str) -> None:
        self._key = key
        self.origin = origin.rstrip("/")

    def sign(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        *,
        issued: float,
        expires_in: int,
    ) -> str:
        """Return the full signed URL for ``method`` on ``path`` with these signed headers."""
        date = goog_date(issued)
        params = {
            "X-Goog-Algorithm": ALGORITHM,
            "X-Goog-Credential": f"{CREDENTIAL_ACCOUNT}/{date[:8]}/auto/storage/goog4_request",
            "X-Goog-Date": date,
            "X-Goog-Expires": str(int(expires_in)),
            "X-Goog-SignedHeaders": ";".join(sorted(name.lower() for name in headers)),
        }
        signature = self._signature(
            method, path, params, {k.lower(): v for k, v in headers.items()}
        )
        # Same parameter order as real URLs: the sorted signed ones, then the signature.
        return f"{self.origin}{quote(path)}?{_canonical_query(params)}&{_SIGNATURE}={signature}"

    def verify(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        *,
        now: float,
    ) -> Verdict:
        """Check a request against its URL's signature and expiry.

        ``headers`` maps lower-case header names to the values the request carried.
        """
        try:
            signed = query["X-Goog-SignedHeaders"].split(";")
            issued = _parse_goog_date(query["X-Goog-Date"])
            expires_in = int(query["X-Goog-Expires"])
            given = query[_SIGNATURE]
        except (KeyError, ValueError):
            return Verdict.MALFORMED
        if now > issued + expires_in:
            return Verdict.EXPIRED
        params = {k: v for k, v in query.items() if k != _SIGNATURE}
        values = {name: headers.get(name, "") for name in signed}
        expected = self._signature(method, path, params, values)
        return Verdict.VALID if hmac.compare_digest(given, expected) else Verdict.MISMATCH

    def _signature(
        self, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> str:
        canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in sorted(headers))
        canonical_request = "\n".join(
            [
                method.upper(),
                quote(path),
                _canonical_query(params),
                canonical_headers,
                ";".join(sorted(headers)),
                "UNSIGNED-PAYLOAD",
            ]
        )
        date = params.get("X-Goog-Date", "")
        string_to_sign = "\n".join(
            [
                ALGORITHM,
                date,
                f"{date[:8]}/auto/storage/goog4_request",
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            ]
        ).encode()
        # 4 x 64 bytes = 256 bytes = 512 hex digits, the length of a real RSA-2048 signature.
        blocks = (
            hmac.new(self._key, bytes([i]) + string_to_sign, hashlib.sha512).digest()
            for i in range(4)
        )
        return b"".join(blocks).hex()


def _canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(params.items()))
