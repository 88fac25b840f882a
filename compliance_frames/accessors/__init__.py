"""``df.compliance`` on pandas and polars, registered when compliance_frames is imported."""

from . import pandas, polars

__all__ = ["pandas", "polars"]
