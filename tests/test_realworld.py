"""The two fastest pairs of the real-release corpus (benchmarks/realworld.py), each release
pinned from the registry into its own cached venv ($OTELAUDIT_CACHE/realworld, else
~/.cache/otelaudit/realworld) and audited through that venv's own `otelaudit` CLI.

What is asserted: on the bad release the expected rule is reported at the expected file and
function, within the first three findings, and first among the findings the good release no
longer has (what the fix removed). Not first overall: costs both releases share rank above
it — in the pkg_resources pair, the API's own entry-point scans at import (44 and 26 reads
against 8) — and they are real findings, not noise. These costs are counted calls
(deterministic), so the ranks do not move by chance. On the good release the audit succeeds
and that finding is absent (others may remain: the fix removed one cost, not every cost).
Deselect with `-m "not realworld"`: the first run builds four venvs from the registry.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import realworld  # noqa: E402

pytestmark = [pytest.mark.scan, pytest.mark.realworld]

FASTEST = ("contrib-pkg-resources-import", "asgi-custom-headers-env")
# What is asserted comes from the call-count probe, not from timed rounds: fewer rounds (and no
# A/A arm) keep the suite short without touching the evidence.
FEWER_ROUNDS = {"scan": ("--rounds", "2", "--no-control"), "coldstart": ("--rounds", "2")}


@pytest.fixture(scope="module", params=FASTEST)
def audited(request: pytest.FixtureRequest) -> Any:
    pair = next(p for p in realworld.PAIRS if p.name == request.param)
    options = FEWER_ROUNDS[pair.command]
    return realworld.PairResult(pair, realworld.audit(pair, pair.bad, options=options),
                                realworld.audit(pair, pair.good, options=options))


def _shown(audit: Any) -> str:
    found = ", ".join(f"{s.rule} {s.function}() in {s.file}" for s in audit.findings[:5]) or "no findings"
    return f"{audit.version}: exit {audit.exit_code}, {audit.status}, {found} {audit.error}"


def test_the_known_cost_of_the_bad_release_is_found_at_its_call_site_and_ranked_first(audited):
    pair, bad = audited.pair, audited.bad
    assert bad.status == "ok", _shown(bad)
    assert bad.rank is not None and bad.rank <= 3, f"expected {pair.rule} at {pair.function}(); {_shown(bad)}"
    assert audited.rank_among_removed == 1, _shown(bad)
    assert bad.expected.calls_per_op and bad.expected.calls_per_op > 0


def test_the_release_with_the_fix_is_quiet_at_that_site(audited):
    pair, good = audited.pair, audited.good
    assert good.status == "ok", _shown(good)
    assert good.rank is None, f"{pair.rule} at {pair.function}() still reported; {_shown(good)}"


def test_an_unknown_pair_name_is_a_usage_error(capsys):
    assert realworld.main(["--pairs", "no-such-pair"]) == 2
    assert "unknown pair" in capsys.readouterr().err
