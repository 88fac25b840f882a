"""The cascade of X's rules on one parsed line: pure functions, no I/O.

X's guidance: a post deleted, protected, suspended or deactivated goes; every post of an
account that is deleted, protected, suspended or deactivated goes; deleting a post
deletes its retweets. So, for one line (a page, or one post):

- a post goes when it is removed itself, when its author is removed, or when it is a
  retweet of a post that goes (a quote stays: only the stored copy of the quoted post
  goes); with ``edited="drop"``, an edited post goes too;
- the stored copy of a post that goes is dropped from ``includes.tweets`` (in a flattened
  line, the expanded entry of ``referenced_tweets`` is cut back to its ``type`` and
  ``id``, as ``twarc2 flatten`` leaves a reference it has no copy of);
- the stored profile of a removed account is dropped from ``includes.users`` (in a
  flattened line: ``in_reply_to_user`` becomes ``{}``, a mention is cut back to its
  ``start``, ``end``, ``username`` and ``id``);
- a post whose geo data was scrubbed loses its ``geo`` key (its coordinates and its place
  reference; the API leaves ``geo`` out of a post without any, and ``twarc2 flatten`` and
  ``twarc-csv`` read a missing ``geo`` as none), and a place of ``includes.places`` that
  only such posts, or posts that went, referred to is dropped;
- everything else stays as it was: keys in their order, IDs as strings, other lines
  untouched. A page whose posts all went keeps its line with ``"data": []`` (its
  ``meta`` and ``__twarc`` record what was collected; ``twarc2 flatten`` and ``twarc2 csv``
  read it as a page of no posts), and its ``meta.result_count`` says how many remain.

Example:
    >>> verdicts = Verdicts(posts={"21": "deleted"}, accounts={"8": "suspended"})
    >>> page = {"data": [{"id": "20", "author_id": "7"},
    ...                  {"id": "22", "author_id": "8"},
    ...                  {"id": "23", "author_id": "7",
    ...                   "referenced_tweets": [{"type": "retweeted", "id": "21"}]}],
    ...         "includes": {"users": [{"id": "7"}, {"id": "8"}], "tweets": [{"id": "21"}]},
    ...         "meta": {"result_count": 3}}
    >>> tally = Tally()
    >>> kept = clean_line(page, "page", verdicts, tally)
    >>> kept["data"], kept["includes"], kept["meta"]
    ([{'id': '20', 'author_id': '7'}], {'users': [{'id': '7'}], 'tweets': []}, {'result_count': 1})
    >>> tally.posts_removed_for_author, tally.retweets_removed, tally.includes_tweets_removed
    (1, 1, 1)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from .shapes import is_account
from .verdicts import Verdicts

__all__ = ["Tally", "clean_line"]

_MENTION_KEYS = ("start", "end", "username", "id", "tag")
_REFERENCE_KEYS = ("type", "id")


@dataclass
class Tally:
    """What the rules changed, counted as they go (see :class:`~.report.CleanReport`), and
    the posts removed for another's sake, for a receipt (:attr:`cascaded`)."""

    posts_removed: Counter[str] = field(default_factory=Counter)
    posts_removed_for_author: int = 0
    retweets_removed: int = 0
    edited_dropped: int = 0
    accounts_removed: int = 0
    includes_tweets_removed: int = 0
    includes_users_removed: int = 0
    places_dropped: int = 0
    geo_emptied: int = 0
    cascaded: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    """Posts of the file removed for their author's or their original's sake: ID ->
    (rule, reason) in a receipt's terms (``author``, ``author suspended``; ``retweeted``,
    ``retweeted post removed``). Not a count: :meth:`changes` leaves it out."""

    def changes(self) -> int:
        """How many changes so far (a line whose changes stay the same is unchanged): the
        counts above, of this class (not those of a subclass such as the report)."""
        total = 0
        for item in fields(Tally):
            value = getattr(self, item.name)
            if isinstance(value, Counter):
                total += value.total()
            elif isinstance(value, int):
                total += value
        return total

    def count_removal(self, rule: str, post: dict[str, Any], verdicts: Verdicts) -> None:
        """Count ``post`` as removed under ``rule`` (what :func:`_removal` said)."""
        if rule == "author":
            self.posts_removed_for_author += 1
        elif rule == "retweet":
            self.retweets_removed += 1
        elif rule == "edited":
            self.edited_dropped += 1
        else:
            self.posts_removed[rule] += 1
        self.note(rule, post, verdicts)

    def note(self, rule: str, post: dict[str, Any], verdicts: Verdicts) -> None:
        """Keep ``post`` in :attr:`cascaded` if ``rule`` removed it for another's sake."""
        post_id = _id(post)
        if post_id is None or post_id in self.cascaded:
            return
        if rule == "author":
            reason = verdicts.accounts.get(str(_author(post)), "")
            self.cascaded[post_id] = ("author", f"author {reason}")
        elif rule == "retweet":
            self.cascaded[post_id] = ("retweeted", "retweeted post removed")


def clean_line(
    record: dict[str, Any], shape: str, verdicts: Verdicts, tally: Tally
) -> dict[str, Any] | None:
    """The line as it may be kept: ``record`` itself when nothing changes, a new object
    when something does, None when the whole line goes (a post line; a page stays)."""
    if shape == "page":
        return _clean_page(record, verdicts, tally)
    if is_account(record):
        if _id(record) in verdicts.accounts:
            tally.accounts_removed += 1
            return None
        return record
    authors = _authors([record])
    rule = _removal(record, verdicts, authors)
    if rule is not None:
        tally.count_removal(rule, record, verdicts)
        return None
    kept: dict[str, Any] = _kept(record, verdicts, authors, tally)
    return kept


def _clean_page(page: dict[str, Any], verdicts: Verdicts, tally: Tally) -> dict[str, Any]:
    before = tally.changes()
    data = page.get("data")
    items: list[Any] = [data] if isinstance(data, dict) else list(data or [])
    includes = page.get("includes") if isinstance(page.get("includes"), dict) else {}
    assert isinstance(includes, dict)
    stored: list[Any] = list(includes.get("tweets") or [])
    authors = _authors([item for item in items + stored if isinstance(item, dict)])
    kept_items = [
        cleaned for item in items if (cleaned := _data_item(item, verdicts, authors, tally))
    ]
    kept_stored = []
    for post in stored:
        rule = _removal(post, verdicts, authors) if isinstance(post, dict) else None
        if rule is not None:
            tally.includes_tweets_removed += 1
            tally.note(rule, post, verdicts)
        else:
            kept_stored.append(_kept(post, verdicts, authors, tally))
    users = includes.get("users")
    kept_users = [user for user in users or [] if not _removed_account(user, verdicts)]
    tally.includes_users_removed += len(users or []) - len(kept_users)
    unreferenced = _places(items + stored) - _places(kept_items + kept_stored)
    places = includes.get("places")
    kept_places = [place for place in places or [] if _id(place) not in unreferenced]
    tally.places_dropped += len(places or []) - len(kept_places)
    if tally.changes() == before:
        return page
    replaced_includes = {"tweets": kept_stored, "users": kept_users, "places": kept_places}
    new_includes = {
        key: replaced_includes[key] if key in replaced_includes and value is not None else value
        for key, value in includes.items()
    }
    new_data: Any = kept_items
    if isinstance(data, dict) and kept_items:
        new_data = kept_items[0]
    out: dict[str, Any] = {}
    for key, value in page.items():
        if key == "data" and data is not None:
            out[key] = new_data
        elif key == "includes" and isinstance(value, dict):
            out[key] = new_includes
        elif key == "meta" and isinstance(value, dict) and "result_count" in value:
            out[key] = {**value, "result_count": len(kept_items)}
        else:
            out[key] = value
    return out


def _data_item(item: Any, verdicts: Verdicts, authors: dict[str, str | None], tally: Tally) -> Any:
    """An object of a page's ``data`` as it may be kept, or None."""
    if not isinstance(item, dict):
        return item
    if is_account(item):
        if _id(item) in verdicts.accounts:
            tally.accounts_removed += 1
            return None
        return item
    rule = _removal(item, verdicts, authors)
    if rule is not None:
        tally.count_removal(rule, item, verdicts)
        return None
    return _kept(item, verdicts, authors, tally)


def _removal(
    post: dict[str, Any], verdicts: Verdicts, authors: dict[str, str | None]
) -> str | None:
    """Why a post goes (its own reason, "author", "retweet", "edited"), or None."""
    post_id = _id(post)
    if post_id is not None and post_id in verdicts.posts:
        return verdicts.posts[post_id]
    if _author(post) in verdicts.accounts:
        return "author"
    for reference in _dicts(post.get("referenced_tweets")):
        if reference.get("type") == "retweeted" and _gone(_id(reference), verdicts, authors):
            return "retweet"
    if verdicts.drop_edited and post_id in verdicts.edited:
        return "edited"
    return None


def _gone(post_id: str | None, verdicts: Verdicts, authors: dict[str, str | None]) -> bool:
    """Whether the post ``post_id`` (referred to from another) goes."""
    if post_id is None:
        return False
    if post_id in verdicts.posts or authors.get(post_id) in verdicts.accounts:
        return True
    return verdicts.drop_edited and post_id in verdicts.edited


def _kept(post: Any, verdicts: Verdicts, authors: dict[str, str | None], tally: Tally) -> Any:
    """A post that stays, its scrubbed geo and stored copies of what went taken out
    (``post`` itself when nothing changes)."""
    if not isinstance(post, dict):
        return post
    replaced: dict[str, Any] = {}
    dropped: set[str] = set()
    if "geo" in post and _id(post) in verdicts.scrubbed:
        dropped.add("geo")
        tally.geo_emptied += 1
    references = post.get("referenced_tweets")
    if isinstance(references, list):
        new_references = [_reference(ref, verdicts, authors, tally) for ref in references]
        if any(new is not old for new, old in zip(new_references, references, strict=True)):
            replaced["referenced_tweets"] = new_references
    replying = post.get("in_reply_to_user")
    if isinstance(replying, dict) and replying and _id(replying) in verdicts.accounts:
        replaced["in_reply_to_user"] = {}
        tally.includes_users_removed += 1
    entities = post.get("entities")
    if isinstance(entities, dict) and isinstance(entities.get("mentions"), list):
        mentions = [_mention(mention, verdicts, tally) for mention in entities["mentions"]]
        if any(new is not old for new, old in zip(mentions, entities["mentions"], strict=True)):
            replaced["entities"] = {**entities, "mentions": mentions}
    if not replaced and not dropped:
        return post
    return {key: replaced.get(key, value) for key, value in post.items() if key not in dropped}


def _reference(
    reference: Any, verdicts: Verdicts, authors: dict[str, str | None], tally: Tally
) -> Any:
    """An entry of ``referenced_tweets``: cut back to type and id when its expanded copy
    is of a post that goes, cleaned as a kept post otherwise."""
    if not isinstance(reference, dict) or all(key in _REFERENCE_KEYS for key in reference):
        return reference
    if _gone(_id(reference), verdicts, authors) or _author(reference) in verdicts.accounts:
        tally.includes_tweets_removed += 1
        return {key: reference[key] for key in _REFERENCE_KEYS if key in reference}
    return _kept(reference, verdicts, authors, tally)


def _mention(mention: Any, verdicts: Verdicts, tally: Tally) -> Any:
    if not isinstance(mention, dict) or _id(mention) not in verdicts.accounts:
        return mention
    if all(key in _MENTION_KEYS for key in mention):
        return mention
    tally.includes_users_removed += 1
    return {key: value for key, value in mention.items() if key in _MENTION_KEYS}


def _removed_account(user: Any, verdicts: Verdicts) -> bool:
    return isinstance(user, dict) and _id(user) in verdicts.accounts


def _authors(posts: list[dict[str, Any]]) -> dict[str, str | None]:
    """Post ID -> author ID of the posts (and the expanded references inside them)."""
    found: dict[str, str | None] = {}
    pending = list(posts)
    while pending:
        post = pending.pop()
        post_id = _id(post)
        if post_id is not None:
            found[post_id] = _author(post)
        pending.extend(
            ref
            for ref in _dicts(post.get("referenced_tweets"))
            if any(key not in _REFERENCE_KEYS for key in ref)
        )
    return found


def _author(post: dict[str, Any]) -> str | None:
    author = post.get("author_id")
    if author is None and isinstance(post.get("author"), dict):
        author = post["author"].get("id")
    return None if author is None else str(author)


def _places(posts: list[Any]) -> set[str]:
    """The place IDs the posts refer to (``geo.place_id``)."""
    found = set()
    for post in posts:
        if isinstance(post, dict) and isinstance(post.get("geo"), dict):
            place = post["geo"].get("place_id")
            if place is not None:
                found.add(str(place))
    return found


def _id(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    value = record.get("id")
    return None if value is None else str(value)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
