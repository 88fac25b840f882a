"""Every post ID and account ID a line holds, gathered into de-duplicated numpy arrays.

Post IDs: the posts of ``data``, ``includes.tweets``, every ``referenced_tweets`` entry
(retweeted, quoted, replied to) and the expanded copies inside them. Account IDs:
``author_id`` and ``author``, ``in_reply_to_user_id`` and ``in_reply_to_user``,
``entities.mentions`` (their profiles may be stored in ``includes.users``), the accounts
of ``includes.users``, and the accounts of a ``twarc2 users`` page.

Memory stays bounded by the number of distinct IDs, not by the file: IDs are kept as
text in a block, turned into ``uint64`` and merged into the sorted unique array at
every :data:`BLOCK` IDs.

Example:
    >>> found = Found()
    >>> page = {"data": [{"id": "20", "author_id": "7",
    ...                   "referenced_tweets": [{"type": "quoted", "id": "21"}]}],
    ...         "includes": {"users": [{"id": "7"}, {"id": "8"}], "tweets": [{"id": "21"}]}}
    >>> add_line(page, "page", found)
    >>> found.posts.unique().tolist(), found.accounts.unique().tolist()
    ([20, 21], [7, 8])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .shapes import is_account

__all__ = ["BLOCK", "Found", "IdBlocks", "NotAnId", "add_line", "as_id"]

BLOCK = 250_000
"""IDs held as text before they are merged into the unique array."""

_MAX_DIGITS = 19


class NotAnId(ValueError):
    """A value where an ID belongs that is not one (the reader names its line)."""

    def __init__(self, value: object, where: str) -> None:
        super().__init__(f"{where} is {value!r}, not a 1-19 digit ID")


def as_id(value: object, where: str) -> str | None:
    """An ID as the text the results use (None for a missing one); :class:`NotAnId` else.

    Example:
        >>> as_id("20", "id"), as_id(20, "id"), as_id(None, "id")
        ('20', '20', None)
    """
    if isinstance(value, str):
        if 0 < len(value) <= _MAX_DIGITS and value.isascii() and value.isdigit():
            return value
    elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**_MAX_DIGITS:
        return str(value)
    elif value is None:
        return None
    raise NotAnId(value, where)


class IdBlocks:
    """IDs gathered as text, kept as a sorted unique ``uint64`` array."""

    def __init__(self, block: int = BLOCK) -> None:
        self.block = block
        self.pending: list[str] = []
        self.merged: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)

    def add(self, value: object, where: str) -> None:
        text = as_id(value, where)
        if text is not None:
            self.pending.append(text)
            if len(self.pending) >= self.block:
                self.flush()

    def flush(self) -> None:
        if self.pending:
            fresh = np.unique(np.array(self.pending, dtype=np.uint64))
            self.merged = np.union1d(self.merged, fresh) if self.merged.size else fresh
            self.pending = []

    def unique(self) -> npt.NDArray[np.uint64]:
        """Every ID added, once each, ascending."""
        self.flush()
        return self.merged


class Found:
    """The post IDs and account IDs of a file."""

    def __init__(self, block: int = BLOCK) -> None:
        self.posts = IdBlocks(block)
        self.accounts = IdBlocks(block)


def add_line(record: dict[str, Any], shape: str, found: Found) -> None:
    """Add the IDs of one parsed line of ``shape`` (see :mod:`.shapes`) to ``found``."""
    if shape != "page":
        _add_object(record, found, "the line")
        return
    data = record.get("data")
    for index, item in enumerate(data if isinstance(data, list) else [data]):
        if isinstance(item, dict):
            _add_object(item, found, f"data[{index}]")
    includes = record.get("includes")
    if not isinstance(includes, dict):
        return
    for index, user in enumerate(_objects(includes.get("users"))):
        _add_account(user, found, f"includes.users[{index}]")
    for index, post in enumerate(_objects(includes.get("tweets"))):
        _add_post(post, found, f"includes.tweets[{index}]")


def _add_object(item: dict[str, Any], found: Found, where: str) -> None:
    if is_account(item):
        _add_account(item, found, where)
    else:
        _add_post(item, found, where)


def _add_post(post: dict[str, Any], found: Found, where: str) -> None:
    found.posts.add(post.get("id"), f"{where}.id")
    found.accounts.add(post.get("author_id"), f"{where}.author_id")
    found.accounts.add(post.get("in_reply_to_user_id"), f"{where}.in_reply_to_user_id")
    for key in ("author", "in_reply_to_user"):
        user = post.get(key)
        if isinstance(user, dict):
            _add_account(user, found, f"{where}.{key}")
    for index, reference in enumerate(_objects(post.get("referenced_tweets"))):
        _add_post(reference, found, f"{where}.referenced_tweets[{index}]")
    entities = post.get("entities")
    if isinstance(entities, dict):
        for index, mention in enumerate(_objects(entities.get("mentions"))):
            found.accounts.add(mention.get("id"), f"{where}.entities.mentions[{index}].id")


def _add_account(user: dict[str, Any], found: Found, where: str) -> None:
    found.accounts.add(user.get("id"), f"{where}.id")


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a list (what is not an object is no concern of compliance)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]
