"""Run the quick-start notebook top to bottom on the embedded emulator and save it with
its outputs, so that it reads on a code host as it runs.

Run from the repository's root after changing the notebook or what it shows::

    python notebooks/refresh.py

The tests run the notebook again and compare what it shows with what is saved.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).with_name("quickstart.ipynb")


def execute(path: Path, folder: Path) -> Any:
    """The notebook at ``path`` run in ``folder`` (cache there too), offline."""
    saved = dict(os.environ)
    try:
        for key in ("BEARER_TOKEN", "X_API_BASE_URL", "MPLBACKEND"):
            os.environ.pop(key, None)
        os.environ["COMPLIANCE_FRAMES_CACHE"] = str(folder / "cache")
        os.environ["COMPLIANCE_FRAMES_PROGRESS"] = "plain"  # lines that read on a code host
        notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
        ).execute()
        return notebook
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        notebook = execute(NOTEBOOK, Path(folder))
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, NOTEBOOK)  # type: ignore[no-untyped-call]
    print(f"saved {NOTEBOOK} with its outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
