"""The lines of a twarc2 collection: read, checked, and told apart by shape.

Three shapes, told apart line by line (a file may mix them):

- ``page``: an API v2 answer as ``twarc2 search``/``timeline``/``hydrate`` write it, one a
  line: ``data`` (a list of posts, or of accounts for ``twarc2 users``; or one object),
  ``includes`` (``users``, ``tweets``, ``places``, ...), ``meta``, ``errors``, ``__twarc``.
  A line with ``meta``, ``includes`` or ``errors`` and no ``data`` is a page with none;
- ``flattened``: one post a line with its expansions inline, as ``twarc2 flatten`` writes
  it (``author``, ``in_reply_to_user``, expanded ``referenced_tweets``, ``__twarc``);
- ``plain``: one post (or account) object a line, nothing expanded.

Example:
    >>> read_line(b'{"data": [], "meta": {"result_count": 0}}\\n', 1, "a.jsonl")[1]
    'page'
    >>> read_line(b'{"id": "20", "text": "hi", "author": {"id": "7"}}', 2, "a.jsonl")[1]
    'flattened'
    >>> read_line(b'{"id": "20", "text": "hi"}', 3, "a.jsonl")[1]
    'plain'
    >>> read_line(b"   \\n", 4, "a.jsonl")
    (None, 'blank')
    >>> read_line(b"[1, 2]", 5, "a.jsonl")
    Traceback (most recent call last):
    compliance_frames.errors.InputError: a.jsonl: line 5 is a JSON array, not an API v2 page ...
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from ..hints import Choice, Hint

__all__ = ["PAGE_KEYS", "SHAPES", "bad_line", "is_account", "read_line"]

SHAPES = ("page", "flattened", "plain", "blank")
"""The kinds of line, in the order the report lists them."""

PAGE_KEYS = ("data", "includes", "meta", "errors")
"""Keys that make a line an API v2 answer (a page)."""

_FLATTENED_KEYS = ("author", "__twarc", "in_reply_to_user")
_SHOWN = 80


def read_line(line: bytes, number: int, origin: str) -> tuple[dict[str, Any] | None, str]:
    """Line ``number`` of ``origin`` parsed, and its shape (one of :data:`SHAPES`); an
    :class:`InputError` naming the line and what was found when it is none of them."""
    if not line.strip():
        return None, "blank"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_line(
            origin, number, f"is not UTF-8 text (byte {exc.start + 1} of the line)", line
        ) from None
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        what = getattr(exc, "msg", "not JSON")
        raise bad_line(origin, number, f"is not JSON ({what})", line) from None
    if not isinstance(parsed, dict):
        kind = "a JSON array" if isinstance(parsed, list) else f"a JSON {type(parsed).__name__}"
        raise bad_line(origin, number, f"is {kind}, not an API v2 page nor a post", line)
    if any(key in parsed for key in PAGE_KEYS):
        data = parsed.get("data")
        if data is not None and not isinstance(data, (list, dict)):
            raise bad_line(
                origin, number, "has a 'data' that is neither a list nor an object", line
            )
        return parsed, "page"
    if "id" in parsed:
        return parsed, "flattened" if any(key in parsed for key in _FLATTENED_KEYS) else "plain"
    raise bad_line(
        origin, number, "is a JSON object with neither 'data' (a page) nor 'id' (a post)", line
    )


def is_account(record: dict[str, Any]) -> bool:
    """Whether an object of ``data`` (or a plain line) is an account rather than a post:
    it has a ``username`` and no ``text``.

    Example:
        >>> is_account({"id": "7", "username": "a"}), is_account({"id": "20", "text": "x"})
        (True, False)
    """
    return "username" in record and "text" not in record


def bad_line(origin: str, number: int, problem: str, line: bytes) -> InputError:
    """The error for line ``number`` of ``origin``: which, what is wrong, how it starts."""
    shown = line.strip()[:_SHOWN].decode("utf-8", "replace")
    return InputError(
        f"{origin}: line {number} {problem}: {shown!r}. A twarc2 collection holds one JSON "
        "object a line: an API v2 page (data, includes, meta), or one post.",
        hint=Hint(Choice("fix or remove that line, then run again")),
    )


def dumps(record: dict[str, Any]) -> bytes:
    """A changed line as twarc2 writes its lines (``json.dumps`` with its defaults).

    Example:
        >>> dumps({"id": "20", "text": "é"})
        b'{"id": "20", "text": "\\\\u00e9"}'
    """
    return json.dumps(record).encode("ascii")
