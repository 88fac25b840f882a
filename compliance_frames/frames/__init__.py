"""The frames layer: every piece of dataframe code, on narwhals, with polars for results.

It never talks HTTP itself: it hands IDs to the client's lifecycle and gets files back.
"""

from ..reasons import (
    FLAG_ACTIONS,
    FLAG_REASONS,
    FLAGS,
    KNOWN_REASONS,
    REASON_FLAGS,
    REMOVAL_REASONS,
)
from .checking import check, results
from .events import PRECEDENCE, RESULTS_SCHEMA, per_id, read_results
from .filtering import FilterReport, filter
from .summaries import ComplianceSummary, plot_summary, summary

__all__ = [
    "FLAGS",
    "FLAG_ACTIONS",
    "FLAG_REASONS",
    "KNOWN_REASONS",
    "PRECEDENCE",
    "REASON_FLAGS",
    "REMOVAL_REASONS",
    "RESULTS_SCHEMA",
    "ComplianceSummary",
    "FilterReport",
    "check",
    "filter",
    "per_id",
    "plot_summary",
    "read_results",
    "results",
    "summary",
]
