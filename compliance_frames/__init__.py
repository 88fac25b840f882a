"""compliance-frames: keep research datasets of tweets and accounts compliant with X."""

__version__ = "0.1.0"
