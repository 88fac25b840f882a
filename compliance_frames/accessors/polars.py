"""Registers ``.compliance`` on polars DataFrames and LazyFrames (on import)."""

from __future__ import annotations

import polars as pl

from .namespace import ComplianceNamespace


@pl.api.register_dataframe_namespace("compliance")
class PolarsCompliance(ComplianceNamespace):
    """``polars.DataFrame.compliance``."""


@pl.api.register_lazyframe_namespace("compliance")
class PolarsLazyCompliance(ComplianceNamespace):
    """``polars.LazyFrame.compliance``."""


__all__ = ["PolarsCompliance", "PolarsLazyCompliance"]
