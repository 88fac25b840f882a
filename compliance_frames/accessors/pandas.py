"""Registers ``DataFrame.compliance`` on pandas (on import of compliance_frames)."""

from __future__ import annotations

import pandas as pd

from .namespace import ComplianceNamespace


@pd.api.extensions.register_dataframe_accessor("compliance")
class PandasCompliance(ComplianceNamespace):
    """``pandas.DataFrame.compliance``."""


__all__ = ["PandasCompliance"]
