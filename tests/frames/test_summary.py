"""summary() for a methods section, and plot_summary()."""

from __future__ import annotations

from typing import Any

import matplotlib
import pytest

import compliance_frames
from compliance_frames import Client
from tests.frames.conftest import PANDAS, Constructor, N

matplotlib.use("Agg")


@pytest.mark.flow("bytepath", "gcs")
def test_summary_counts_and_shares(constructor: Constructor, client: Client, flow: str) -> None:
    flagged = compliance_frames.check(
        constructor(), "tweet_id", user_col="author_id", client=client, progress=False
    )
    result = compliance_frames.summary(flagged, as_of="2026-11-23")
    assert (result.rows, result.checked, result.available) == (N, N, 4)  # edited ones too
    assert result.share("any", "deleted") == pytest.approx(3 / N)
    assert result.share("tweet", "deleted") == pytest.approx(2 / N)
    assert result.share("author", "deleted") == pytest.approx(1 / N)
    assert result.share("tweet", "bounced") == pytest.approx(1 / N)
    # scrub_geo and geo_scrubbed are one line; tweet_edited is "edited", a line of its own
    assert result.share("tweet", "scrub_geo") == pytest.approx(2 / N)
    assert "geo_scrubbed" not in result.table["reason"].to_list()
    assert result.share("tweet", "edited") == pytest.approx(1 / N)
    assert result.share("any", "edited") == pytest.approx(1 / N)
    geo = 3 if flow == "gcs" else 2  # bytepath: the protected tweet's geo event is not sent
    assert result.share("any", "scrub_geo") == pytest.approx(geo / N)
    sentence = result.sentence()
    assert sentence.startswith(
        f"As of 2026-11-23, 36.4% of {N} posts were still available; 63.6% had been removed "
        "(27.3% deleted"
    )
    assert "a post can count under several reasons" in sentence
    # the bounced post's author was removed: the row counts as removed, not as "other"
    assert "other reasons" not in sentence
    assert f"Geo data had been removed from {geo / N:.1%}" in sentence
    assert "9.1% had been edited" in sentence
    assert set(result.table["level"].to_list()) == {"any", "tweet", "author"}
    assert "<p>As of" in result._repr_html_()


def test_accessor_summary_and_plot(client: Client) -> None:
    flagged = PANDAS().compliance.check(
        "tweet_id", user_col="author_id", client=client, progress=False
    )
    result = flagged.compliance.summary(as_of="2026-01-01")
    ax = compliance_frames.plot_summary(result)
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert "deleted" in labels
    assert "scrub geo" in labels  # both spellings of geo scrubbing
    assert "geo scrubbed" not in labels
    assert "edited" in labels
    assert len(ax.patches) == 2 * len(labels)  # tweet and author bars
    assert "As of 2026-01-01" in ax.get_title()
    assert "removed" in ax.get_title()
    compliance_frames.plot_summary(flagged)  # straight from the frame too


def test_plot_without_matplotlib_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"compliance-frames\[plot\]"):
        compliance_frames.plot_summary(None)
