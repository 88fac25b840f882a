"""``df.compliance`` on pandas and polars, registered when compliance_frames is imported.

Registering needs the dataframe library, and importing pandas costs a quarter of a
second: so a library already imported gets its accessor at once, and one not imported
yet gets it right after its own import, by a small hook on ``sys.meta_path`` that wraps
the library's loader. Nobody imports pandas for a polars user, or the other way round.

Example:
    >>> import polars as pl
    >>> hasattr(pl.DataFrame(), "compliance")
    True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["install", "pandas", "polars", "registered"]

_ACCESSORS = {"pandas": "pandas", "polars": "polars"}
"""Library (top-level module) -> the submodule of this package that registers on it."""

_lock = threading.RLock()
_pending: set[str] = set()
_done: set[str] = set()


def registered() -> set[str]:
    """The libraries that have ``.compliance`` by now.

    Example:
        >>> import polars
        >>> "polars" in registered()
        True
    """
    with _lock:
        return set(_done)


def _register(library: str) -> None:
    """Import the submodule that registers the accessor on ``library`` (imported by now)."""
    with _lock:
        if library in _done:
            return
        _done.add(library)
        _pending.discard(library)
    try:
        importlib.import_module(f"{__name__}.{_ACCESSORS[library]}")
    except Exception as exc:  # a library too old, say: the library itself still works
        warnings.warn(
            f"compliance-frames could not register the .compliance accessor on {library}: {exc}",
            RuntimeWarning,
            stacklevel=2,
        )


class _Loader(importlib.abc.Loader):
    """The library's own loader, and after it has run the module, the registration."""

    def __init__(self, inner: Any, library: str) -> None:
        self.inner = inner
        self.library = library

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.inner.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The module keeps its own loader, as if nothing had come between.
        module.__loader__ = self.inner
        if module.__spec__ is not None:
            module.__spec__.loader = self.inner
        self.inner.exec_module(module)
        _register(self.library)

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self.inner, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for a library waiting for its accessor, it asks the other
    finders and wraps the loader of the spec they return."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        with _lock:
            if fullname not in _pending:
                return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, fullname)
                return spec
        return None


_FINDER = _Finder()


def install() -> None:
    """Register ``.compliance`` on pandas and polars: now for one already imported, else
    right after it is. Called once, when compliance_frames is imported; calling again
    does nothing."""
    for library in _ACCESSORS:
        with _lock:
            if library in _done or library in _pending:
                continue
            if library not in sys.modules:
                _pending.add(library)
                if _FINDER not in sys.meta_path:
                    sys.meta_path.insert(0, _FINDER)
                continue
        _register(library)


def __getattr__(name: str) -> Any:
    """``accessors.pandas`` / ``accessors.polars``: the registering submodule (which
    imports its library)."""
    if name in _ACCESSORS.values():
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


install()
