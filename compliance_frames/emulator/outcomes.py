"""Which IDs have a compliance event, and its reason, action and times.

Outcomes are either looked up in the explicit ``events`` of the configuration or
derived from a hash of the ID (deterministic in the ID and the seed), vectorised
with numpy: no Python object per ID.

Example:
    >>> import polars as pl
    >>> from compliance_frames.emulator.config import EmulatorConfig
    >>> config = EmulatorConfig(events={"20": "tweet_edited", "21": "invalid_id"})
    >>> found = outcomes(pl.Series([20, 21, 22], dtype=pl.UInt64), "tweets", config, now=1.6e9)
    >>> found.events["action"].to_list(), found.invalid.to_list()
    (['rehydrate'], [21])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from .config import INVALID_ID, EmulatorConfig, EventSpec, action_of
from .jobs import TWITTER_EPOCH_MS

_USERS_SNOWFLAKE_START = 2**32
_EARLIEST_USER_MS = 1142899200000  # 2006-03-21, the first accounts
_SNOWFLAKE_USERS_MS = 1356998400000  # 2013-01-01
_TYPE_SALT = {"tweets": 0x7477656574730000, "users": 0x7573657273000000}
SCHEMA = {
    "id": pl.UInt64,
    "reason": pl.String,
    "action": pl.String,
    "created": pl.Int64,
    "at": pl.Int64,
    "redacted": pl.Int64,
}
"""Columns of the events frame: times in epoch ms; ``at`` is when the event happened,
``redacted`` the same or null where the record has no ``redacted_at``."""


@dataclass(frozen=True)
class Outcomes:
    """The events of a block of IDs, and the IDs to answer as invalid (``events=``)."""

    events: pl.DataFrame
    invalid: pl.Series


def outcomes(ids: pl.Series, job_type: str, config: EmulatorConfig, now: float) -> Outcomes:
    """The events of these IDs: one row per event, columns as :data:`SCHEMA`."""
    explicit = config.events_for(job_type)
    if explicit is not None:
        return _explicit(ids, explicit, job_type, config, now)
    values = ids.to_numpy()
    unit = _uniform(values, config.seed ^ _TYPE_SALT[job_type])
    rates = config.rates_for(job_type)
    reasons = list(rates)
    bounds = np.cumsum(np.array(list(rates.values()), dtype=np.float64))
    hit = unit < (bounds[-1] if bounds.size else 0.0)
    values = values[hit]
    codes = np.searchsorted(bounds, unit[hit], side="right")
    created = _created_ms(values, job_type, config.seed)
    at = _event_ms(values, created, config, now)
    absent = _absent(values, config, config.redacted_at_missing)
    actions = [action_of(reason, config.flow) for reason in reasons]
    events = pl.DataFrame(
        {
            "id": pl.Series(values, dtype=pl.UInt64),
            "reason": pl.Series(reasons, dtype=pl.String).gather(codes),
            "action": pl.Series(actions, dtype=pl.String).gather(codes),
            "created": pl.Series(created, dtype=pl.Int64),
            "at": pl.Series(at, dtype=pl.Int64),
            "redacted": pl.Series(np.where(absent, np.nan, at), nan_to_null=True).cast(pl.Int64),
        }
    )
    return Outcomes(events, pl.Series(dtype=pl.UInt64))


def _explicit(
    ids: pl.Series,
    events: dict[int, list[EventSpec]],
    job_type: str,
    config: EmulatorConfig,
    now: float,
) -> Outcomes:
    named = np.fromiter(events, dtype=np.uint64, count=len(events))
    values = ids.to_numpy()
    found = values[np.isin(values, named)]
    rows: dict[str, list[object]] = {key: [] for key in SCHEMA}
    invalid: list[int] = []
    created = _created_ms(found, job_type, config.seed)
    derived = _event_ms(found, created, config, now)
    for index, value in enumerate(found.tolist()):
        for spec in events[value]:
            if spec.reason == INVALID_ID:
                invalid.append(value)
                continue
            at = spec.redacted_at if spec.redacted_at is not None else int(derived[index])
            rows["id"].append(value)
            rows["reason"].append(spec.reason)
            rows["action"].append(spec.action)
            rows["created"].append(
                spec.created_at if spec.created_at is not None else int(created[index])
            )
            rows["at"].append(at)
            rows["redacted"].append(None if spec.omit_redacted_at else at)
    return Outcomes(pl.DataFrame(rows, schema=SCHEMA), pl.Series(invalid, dtype=pl.UInt64))


def _mix(values: npt.NDArray[np.uint64], salt: int) -> npt.NDArray[np.uint64]:
    """splitmix64: a fast, well-spread, deterministic hash of each ID."""
    with np.errstate(over="ignore"):
        z = values ^ np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        mixed: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
        return mixed


def _uniform(values: npt.NDArray[np.uint64], salt: int) -> npt.NDArray[np.float64]:
    """A number in [0, 1) per ID, the same for the same ID and salt."""
    unit: npt.NDArray[np.float64] = (_mix(values, salt) >> np.uint64(11)).astype(np.float64)
    return unit * (1.0 / (1 << 53))


def _created_ms(values: npt.NDArray[np.uint64], job_type: str, seed: int) -> npt.NDArray[np.int64]:
    """Creation time: from the snowflake for tweets and newer accounts, else derived."""
    from_snowflake: npt.NDArray[np.int64] = (values >> np.uint64(22)).astype(np.int64)
    from_snowflake += TWITTER_EPOCH_MS
    if job_type == "tweets":
        return from_snowflake
    spread = _SNOWFLAKE_USERS_MS - _EARLIEST_USER_MS
    legacy = _EARLIEST_USER_MS + (_uniform(values, seed ^ 0xC2EA7ED) * spread).astype(np.int64)
    legacy -= legacy % 1000  # account timestamps have whole seconds
    created: npt.NDArray[np.int64] = np.where(
        values >= np.uint64(_USERS_SNOWFLAKE_START), from_snowflake - from_snowflake % 1000, legacy
    )
    return created


def _event_ms(
    values: npt.NDArray[np.uint64],
    created: npt.NDArray[np.int64],
    config: EmulatorConfig,
    now: float,
) -> npt.NDArray[np.int64]:
    """When the event happened.

    Between creation and the start of the current UTC day: never in the future, and
    the same for the same ID all day long, so reruns give identical files.
    """
    day_ms = 86_400_000
    now_ms = int(now * 1000) // day_ms * day_ms
    share = _uniform(values, config.seed ^ 0x4EDAC7ED)
    at: npt.NDArray[np.int64] = created + (share * np.maximum(now_ms - created, 0)).astype(np.int64)
    return at


def _absent(
    values: npt.NDArray[np.uint64], config: EmulatorConfig, share: float
) -> npt.NDArray[np.bool_]:
    """Which events have no ``redacted_at`` (about ``share`` of them)."""
    absent: npt.NDArray[np.bool_] = _uniform(values, config.seed ^ 0xAB5E27) < share
    return absent
