"""One direction of imports: the client knows no dataframes, the frames layer no HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "compliance_frames"
DATAFRAMES = {"pandas", "polars", "narwhals", "dask", "pyarrow", "duckdb", "pyspark", "modin"}
HTTP = {"requests", "urllib3", "http", "werkzeug", "socket"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "client").glob("*.py")), ids=lambda p: p.name)
def test_the_client_imports_no_dataframe_library(path: Path) -> None:
    assert not imported(path) & DATAFRAMES


@pytest.mark.parametrize("path", sorted((PACKAGE / "frames").glob("*.py")), ids=lambda p: p.name)
def test_the_frames_layer_does_no_http(path: Path) -> None:
    assert not imported(path) & HTTP


@pytest.mark.parametrize("path", sorted((PACKAGE / "accessors").glob("*.py")), ids=lambda p: p.name)
def test_accessors_only_forward(path: Path) -> None:
    assert not imported(path) & (HTTP | {"narwhals", "numpy"})
