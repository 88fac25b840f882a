"""twarc2 collections (JSON lines) made compliant in one call: :func:`clean_jsonl`.

Modules: :mod:`.shapes` (reading a line, telling its shape), :mod:`.collect` (the IDs a
line holds), :mod:`.verdicts` (what the results say of each ID), :mod:`.rules` (X's
cascade on one line, no I/O), :mod:`.report` (what was done), :mod:`.cleaning` (the two
passes and the jobs).
"""

from __future__ import annotations

from .cleaning import clean_jsonl
from .report import CleanReport

__all__ = ["CleanReport", "clean_jsonl"]
