"""Progress bars (a terminal bar, or a notebook widget with ipywidgets), or nothing.

Bars name jobs by their name and id only: no token, no signed URL.

Example:
    >>> bar = byte_bar(100, "Uploading", enabled=False)
    >>> bar.update(10)
    >>> bar.close()
"""

from __future__ import annotations

import contextlib
import importlib.util
from functools import cache
from typing import Any

from tqdm import tqdm as text_tqdm


@cache
def _tqdm() -> Any:
    """Notebook widgets where ipywidgets is installed, text bars elsewhere (no warning)."""
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm

        return tqdm
    return text_tqdm


def byte_bar(total: int, desc: str, *, enabled: bool) -> Any:
    """A bar counting bytes."""
    return _tqdm()(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not enabled,
        leave=True,
        dynamic_ncols=True,
    )


def wait_bar(desc: str, *, enabled: bool) -> Any:
    """A bar for waiting: shows the job's status, time waited and the next poll."""
    return _tqdm()(
        total=None,
        desc=desc,
        disable=not enabled,
        leave=True,
        dynamic_ncols=True,
        bar_format="{desc}{postfix} [{elapsed}]",
    )


def close(bar: Any) -> None:
    """Close a bar, whatever state it is in."""
    with contextlib.suppress(Exception):
        bar.close()
