"""Statistics on synthetic data with known answers."""

import random

import pytest

from otelaudit.measure import stats
from otelaudit.model import Estimate


def test_median_of_odd_and_even_samples():
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([4, 1, 3, 2]) == 2.5


def test_median_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        stats.median([])


def test_percentile_interpolates_between_sorted_values():
    assert stats.percentile([0.0, 10.0], 0.25) == 2.5
    assert stats.percentile([1.0, 2.0, 3.0], 1.0) == 3.0


def test_a_constant_shift_is_recovered_exactly_with_a_zero_width_interval():
    baseline = [10.0, 12.0, 9.5, 11.0, 10.5, 13.0]
    treated = [b + 4.0 for b in baseline]
    diff = stats.paired_difference(treated, baseline)
    assert diff.estimate == pytest.approx(4.0)
    assert diff.ci_low == pytest.approx(4.0) and diff.ci_high == pytest.approx(4.0)


def test_paired_ratio_of_a_proportional_change():
    baseline = [10.0, 20.0, 40.0]
    ratio = stats.paired_ratio([b * 1.5 for b in baseline], baseline)
    assert ratio.estimate == pytest.approx(1.5)


def test_pairing_cancels_drift_shared_by_both_arms():
    rng = random.Random(1)
    drift = [100.0 * (1 + i) for i in range(20)]  # the machine slows down a lot, round by round
    baseline = [d + rng.gauss(0, 0.1) for d in drift]
    treated = [d + 2.0 + rng.gauss(0, 0.1) for d in drift]
    diff = stats.paired_difference(treated, baseline)
    assert diff.ci_low > 1.5 and diff.ci_high < 2.5


@pytest.mark.parametrize("n", [6, 10, 16, 30])
@pytest.mark.parametrize("noise", ["normal", "heavy-tailed"])
def test_median_interval_covers_the_true_median_at_least_95_percent_of_the_time(n, noise):
    rng = random.Random(7)
    draw = (lambda: rng.gauss(50.0, 5.0)) if noise == "normal" else (lambda: 50.0 + rng.paretovariate(1.5) * rng.choice((-1, 1)))
    trials = 2000
    covered = sum(ci.ci_low <= 50.0 <= ci.ci_high for ci in (stats.median_interval([draw() for _ in range(n)])
                                                             for _ in range(trials)))
    assert covered / trials >= 0.94  # ≥ 95 % by construction (sampling error of 2000 trials: ~0.5 %)


def test_median_interval_uses_the_sign_tests_order_statistics():
    values = [float(v) for v in range(1, 11)]  # n = 10: x(2) … x(9)
    assert stats.median_interval(list(reversed(values))) == Estimate(5.5, 2.0, 9.0)
    assert stats.median_interval([3.0, 1.0, 2.0]) == Estimate(2.0, 1.0, 3.0)  # too few: the whole range
    assert stats.median_interval([4.0]) == Estimate(4.0, 4.0, 4.0)


def test_paired_samples_must_have_equal_lengths():
    with pytest.raises(ValueError):
        stats.paired_difference([1.0, 2.0], [1.0])


@pytest.mark.parametrize(
    "difference, expected",
    [
        (Estimate(5.0, 1.0, 9.0), "overhead"),
        (Estimate(0.1, -0.5, 0.9), "no-detectable-overhead"),  # wholly under 2% of 100
        (Estimate(1.0, -1.0, 3.0), "inconclusive"),  # could be zero, could be 3%
        (Estimate(-2.0, -3.0, -1.0), "no-detectable-overhead"),
    ],
)
def test_verdict_never_claims_more_than_the_interval(difference, expected):
    assert stats.verdict(difference, baseline_level=100.0, rounds=10) == expected


def test_too_few_rounds_give_no_verdict_however_clear_the_interval():
    assert stats.verdict(Estimate(50.0, 40.0, 60.0), baseline_level=100.0, rounds=4) == "inconclusive"
