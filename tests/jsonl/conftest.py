"""A twarc2 collection with every case of X's rules, in the three shapes of line.

The pages follow the API v2 answers of the search endpoint as ``twarc2 search`` stores
them (``data``, ``includes.users``/``tweets``/``places``, ``meta``, ``__twarc``);
:func:`flatten` turns a page into the lines ``twarc2 flatten`` writes (one post a line,
its author, the account it replies to, its mentions, its referenced posts and its place
inline; a reference with nothing stored stays as it was, an account with nothing stored
becomes ``{}``), so that cleaning a flattened file can be compared with flattening a
cleaned page.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from compliance_frames import Client
from tests.conftest import EmulatorFactory, fast_client

# Accounts
U_OK, U_OK2, U_SUSPENDED, U_PROTECTED, U_DEACTIVATED = "101", "102", "103", "104", "105"
# Posts of the pages' data
P_OK = "1500000000000000001"
P_DELETED = "1500000000000000002"
P_BY_SUSPENDED = "1500000000000000003"
P_RT_OF_DELETED = "1500000000000000004"
P_QUOTE_OF_PROTECTED = "1500000000000000005"
P_GEO = "1500000000000000006"
P_GEO_OK = "1500000000000000007"
P_EDITED = "1500000000000000008"
P_RT_OF_DEACTIVATED = "1500000000000000009"
P_REPLY = "1500000000000000010"
P_LONE_DELETED = "1500000000000000011"
P_LONE_BY_PROTECTED = "1500000000000000012"
# Referenced posts, stored in includes.tweets
R_DELETED = "1400000000000000001"
R_PROTECTED = "1400000000000000002"
R_BY_DEACTIVATED = "1400000000000000003"
PLACE_SCRUBBED, PLACE_KEPT = "01a9a39529b27f36", "0c2e6999105f8070"

EVENTS = {
    "tweets": {
        P_DELETED: "deleted",
        R_DELETED: "deleted",
        R_PROTECTED: "protected",
        P_GEO: "scrub_geo",
        P_EDITED: "tweet_edited",
        P_LONE_DELETED: "suspended",
    },
    "users": {U_SUSPENDED: "suspended", U_PROTECTED: "protected", U_DEACTIVATED: "deactivated"},
}

TWARC = {
    "url": "https://api.twitter.com/2/tweets/search/recent?query=compliance&max_results=100",
    "version": "2.14.0",
    "retrieved_at": "2022-03-01T12:00:00+00:00",
}


def user(user_id: str, username: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": username.title(),
        "username": username,
        "created_at": "2012-01-01T00:00:00.000Z",
        "description": f"The account of {username}",
        "protected": False,
        "public_metrics": {"followers_count": 10, "following_count": 5, "tweet_count": 100},
        "verified": False,
    }


def post(post_id: str, author: str, text: str, **more: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": post_id,
        "text": text,
        "author_id": author,
        "conversation_id": post_id,
        "created_at": "2022-02-28T10:00:00.000Z",
        "lang": "en",
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0},
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "source": "Twitter Web App",
    }
    fields.update(more)
    return fields


def retweet(post_id: str, author: str, original: str, by: str) -> dict[str, Any]:
    return post(
        post_id,
        author,
        f"RT @{by}: the original",
        referenced_tweets=[{"type": "retweeted", "id": original}],
        entities={"mentions": [{"start": 3, "end": 3 + len(by), "username": by, "id": ""}]},
    )


def page_one() -> dict[str, Any]:
    """Every rule in one page of search results."""
    data = [
        post(
            P_OK,
            U_OK,
            "hello @suspended",
            entities={
                "mentions": [{"start": 6, "end": 16, "username": "suspended", "id": U_SUSPENDED}]
            },
        ),
        post(P_DELETED, U_OK, "deleted since"),
        post(P_BY_SUSPENDED, U_SUSPENDED, "by an account suspended since"),
        retweet(P_RT_OF_DELETED, U_OK2, R_DELETED, "ok"),
        post(
            P_QUOTE_OF_PROTECTED,
            U_OK,
            "quoting a post protected since",
            referenced_tweets=[{"type": "quoted", "id": R_PROTECTED}],
        ),
        post(
            P_GEO,
            U_OK2,
            "here, with my location",
            geo={
                "place_id": PLACE_SCRUBBED,
                "coordinates": {"type": "Point", "coordinates": [2.35, 48.85]},
            },
        ),
        post(P_GEO_OK, U_OK, "in town", geo={"place_id": PLACE_KEPT}),
        post(P_EDITED, U_OK, "edited since", edit_history_tweet_ids=[P_EDITED]),
        retweet(P_RT_OF_DEACTIVATED, U_OK, R_BY_DEACTIVATED, "deactivated"),
        post(
            P_REPLY,
            U_OK2,
            "@protected replying",
            in_reply_to_user_id=U_PROTECTED,
            referenced_tweets=[{"type": "replied_to", "id": R_PROTECTED}],
        ),
    ]
    for item in data:  # the mention of a retweet names the original's author
        for mention in item.get("entities", {}).get("mentions", []):
            if not mention["id"]:
                mention["id"] = {"ok": U_OK, "deactivated": U_DEACTIVATED}[mention["username"]]
    return {
        "data": data,
        "includes": {
            "users": [
                user(U_OK, "ok"),
                user(U_OK2, "ok2"),
                user(U_SUSPENDED, "suspended"),
                user(U_PROTECTED, "protected"),
                user(U_DEACTIVATED, "deactivated"),
            ],
            "tweets": [
                post(R_DELETED, U_OK, "the original"),
                post(R_PROTECTED, U_PROTECTED, "a protected post"),
                post(R_BY_DEACTIVATED, U_DEACTIVATED, "the original"),
            ],
            "places": [
                {
                    "full_name": "Paris, France",
                    "id": PLACE_SCRUBBED,
                    "country": "France",
                    "country_code": "FR",
                    "geo": {"type": "Feature", "bbox": [2.22, 48.81, 2.46, 48.9], "properties": {}},
                    "name": "Paris",
                    "place_type": "city",
                },
                {
                    "full_name": "Lyon, France",
                    "id": PLACE_KEPT,
                    "country": "France",
                    "country_code": "FR",
                    "geo": {"type": "Feature", "bbox": [4.77, 45.7, 4.9, 45.8], "properties": {}},
                    "name": "Lyon",
                    "place_type": "city",
                },
            ],
        },
        "meta": {
            "newest_id": P_OK,
            "oldest_id": P_REPLY,
            "result_count": len(data),
            "next_token": "b26v89c19zqg8o3fpzbkk",
        },
        "__twarc": TWARC,
    }


def page_two() -> dict[str, Any]:
    """A page whose posts all go."""
    data = [
        post(P_LONE_DELETED, U_OK, "suspended post"),
        post(P_LONE_BY_PROTECTED, U_PROTECTED, "mine"),
    ]
    return {
        "data": data,
        "includes": {"users": [user(U_OK, "ok"), user(U_PROTECTED, "protected")]},
        "meta": {"newest_id": P_LONE_DELETED, "oldest_id": P_LONE_BY_PROTECTED, "result_count": 2},
        "__twarc": TWARC,
    }


def flatten(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines ``twarc2 flatten`` writes for a page (see the module)."""
    page = copy.deepcopy(page)
    includes = page.get("includes", {})
    users = {u["id"]: u for u in includes.get("users", [])}
    by_name = {u["username"]: u for u in includes.get("users", [])}
    places = {p["id"]: p for p in includes.get("places", [])}
    stored = {t["id"]: t for t in includes.get("tweets", [])}

    def expand(item: dict[str, Any]) -> dict[str, Any]:
        if "author_id" in item:
            item["author"] = users.get(item["author_id"], {})
        if "in_reply_to_user_id" in item:
            item["in_reply_to_user"] = users.get(item["in_reply_to_user_id"], {})
        if "geo" in item and "place_id" in item["geo"]:
            item["geo"] = {**item["geo"], **places.get(item["geo"]["place_id"], {})}
        mentions = item.get("entities", {}).get("mentions")
        if mentions is not None:
            item["entities"]["mentions"] = [
                {**m, **by_name.get(m["username"], {})} for m in mentions
            ]
        if "referenced_tweets" in item:
            item["referenced_tweets"] = [
                {**r, **stored.get(r["id"], {})} for r in item["referenced_tweets"]
            ]
        return item

    for key in list(stored):
        stored[key] = expand(stored[key])
    lines = [expand(item) for item in page.get("data", [])]
    for line in lines:
        line["__twarc"] = page["__twarc"]
    return lines


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def post_ids(records: list[dict[str, Any]]) -> list[str]:
    """The IDs of the posts a file holds (data of pages, or the lines)."""
    found = []
    for record in records:
        if "data" in record:
            found.extend(item["id"] for item in record["data"])
        else:
            found.append(record["id"])
    return found


@pytest.fixture
def client(make_emulator: EmulatorFactory, tmp_path: Path) -> Client:
    emulator = make_emulator(events=EVENTS)
    return fast_client(emulator, tmp_path / "cache")
