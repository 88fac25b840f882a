"""``import compliance_frames`` is cheap: no dataframe library until one is used, and
``df.compliance`` on pandas and polars whatever the order of the imports. Each case runs in
a child process, whose modules are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import EmulatorFactory

ROOT = Path(__file__).parents[1]
HEAVY = ["pandas", "polars", "narwhals", "numpy", "requests", "pyarrow"]


def child(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned here."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_import_compliance_frames_imports_no_dataframe_library() -> None:
    answer = child(
        f"""
        import json, sys
        import compliance_frames
        print(json.dumps({{"loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
        """
    )
    assert answer["loaded"] == []


def test_names_are_there_when_used() -> None:
    answer = child(
        """
        import json, sys
        import compliance_frames
        from compliance_frames import check, InvalidIDError
        names = dir(compliance_frames)
        try:
            compliance_frames.no_such_name
            missing = "no error"
        except AttributeError as exc:
            missing = str(exc)
        print(json.dumps({
            "check": check.__module__,
            "client": compliance_frames.Client.__name__,
            "filter": compliance_frames.filter.__module__,
            "in_dir": all(n in names for n in compliance_frames.__all__ + ["filter"]),
            "missing": missing,
            "pandas": "pandas" in sys.modules,
        }))
        """
    )
    assert answer["check"] == "compliance_frames.frames.checking"
    assert answer["client"] == "Client"
    assert answer["filter"] == "compliance_frames.frames.filtering"
    assert answer["in_dir"] is True
    assert "no attribute 'no_such_name'" in str(answer["missing"])
    assert answer["pandas"] is False


@pytest.mark.parametrize(
    "imports",
    [
        "import pandas, polars, compliance_frames",
        "import compliance_frames, pandas, polars",
        "import polars, compliance_frames, pandas",
        "import compliance_frames; import pandas.api.extensions; import polars.selectors",
        "import compliance_frames, importlib; importlib.import_module('pandas')",
        "from pandas import DataFrame; import compliance_frames; import polars as pl",
    ],
)
def test_the_accessor_is_there_whatever_the_import_order(imports: str) -> None:
    answer = child(
        f"""
        import json
        {imports}
        import pandas as pd, polars as pl
        import compliance_frames.accessors as accessors
        print(json.dumps({{
            "pandas": hasattr(pd.DataFrame(), "compliance"),
            "polars": hasattr(pl.DataFrame(), "compliance"),
            "lazy": hasattr(pl.LazyFrame(), "compliance"),
            "loader": type(pd.__loader__).__module__ + "." + type(pd.__loader__).__name__,
            "registered": sorted(accessors.registered()),
        }}))
        """
    )
    assert answer["pandas"] is answer["polars"] is answer["lazy"] is True
    assert answer["registered"] == ["pandas", "polars"]
    assert "compliance_frames" not in str(answer["loader"])  # pandas keeps its own loader


def test_a_failed_import_of_a_library_registers_nothing() -> None:
    answer = child(
        """
        import json, sys
        import compliance_frames, compliance_frames.accessors as accessors
        sys.modules["pandas"] = None  # as if pandas were not installed
        try:
            import pandas
            outcome = "imported"
        except ImportError:
            outcome = "ImportError"
        print(json.dumps({"outcome": outcome, "registered": sorted(accessors.registered())}))
        """
    )
    assert answer == {"outcome": "ImportError", "registered": []}


def test_a_polars_user_never_imports_pandas(make_emulator: EmulatorFactory, tmp_path: Path) -> None:
    emulator = make_emulator(events={"1265324480517361664": "deleted"})
    answer = child(
        f"""
        import json, sys
        import polars as pl
        import compliance_frames
        client = compliance_frames.Client(
            {emulator.bearer_token!r}, {emulator.base_url!r},
            results_dir={str(tmp_path / "cache")!r}, poll_interval=0.05,
        )
        frame = pl.DataFrame({{"id": ["1265324480517361664", "20"]}})
        flagged = frame.compliance.check("id", client=client, progress=False)
        print(json.dumps({{
            "deleted": flagged["compliance_deleted"].to_list(),
            "pandas": "pandas" in sys.modules,
        }}))
        """
    )
    assert answer == {"deleted": [True, False], "pandas": False}
