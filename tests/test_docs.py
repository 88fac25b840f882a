"""The examples in the docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import compliance_frames

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(compliance_frames.__path__, "compliance_frames.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_the_readme_emulator_example_runs() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The emulator, for your own development", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md (emulator example)", "exec"), {})


def test_the_quick_start_has_exactly_the_two_commands() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for line in quick.splitlines() if "pip install" in line]
    assert commands == [
        "pip install -e . && compliance-frames demo",
        'pip install -e ".[test]" && pytest',
    ]
