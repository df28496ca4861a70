"""The dashboard's check for chance findings (roi.estimators.multiple): Benjamini-Hochberg with
the Benjamini-Yekutieli correction, p-values against Student's t over the resampled clusters."""

import math

import pytest
from scipy.stats import norm

from roi.estimators.multiple import (
    benjamini_hochberg,
    bh_adjusted,
    dependence_factor,
    two_sided_p,
)


def test_the_correction_divides_the_level_by_the_harmonic_sum_of_the_number_of_tests():
    assert dependence_factor(0) == 1.0
    assert dependence_factor(1) == 1.0
    assert dependence_factor(10) == pytest.approx(2.9289682539682538)


def test_with_any_dependence_a_finding_plain_bh_keeps_at_ten_tests_is_a_chance_finding():
    # given ten tests, the best at p = 0.004: plain Benjamini-Hochberg keeps it (<= 0.05 / 10)
    p_values = [0.004, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    assert benjamini_hochberg(p_values, q=0.05) == [True] + [False] * 9
    # when the tests may depend on each other in any way, the level is 0.05 / (10 * 2.93)
    assert benjamini_hochberg(p_values, q=0.05, any_dependence=True) == [False] * 10
    assert benjamini_hochberg([0.001] + p_values[1:], any_dependence=True) == [True] + [False] * 9
    # and the adjusted values say the same
    adjusted = bh_adjusted(p_values, any_dependence=True)
    assert adjusted[0] == pytest.approx(0.004 * 10 * dependence_factor(10))
    assert adjusted[0] > 0.05


def test_one_test_is_plain_benjamini_hochberg():
    assert benjamini_hochberg([0.049], any_dependence=True) == [True]
    assert bh_adjusted([0.049], any_dependence=True) == [0.049]


def test_p_values_read_the_estimate_against_t_with_the_clusters_resampled():
    # the normal when the number of clusters is unknown
    assert two_sided_p(estimate=1.96, se=1.0) == pytest.approx(2 * norm.sf(1.96))
    # 120 reps: about the normal; 8 teams: t with 7 degrees of freedom, much wider tails
    assert two_sided_p(estimate=1.96, se=1.0, clusters=120) == pytest.approx(0.0523, abs=1e-3)
    assert two_sided_p(estimate=1.96, se=1.0, clusters=8) == pytest.approx(0.0908, abs=1e-3)
    # nothing to read: p = 1
    assert two_sided_p(estimate=3.0, se=0.0, clusters=8) == 1.0
    assert two_sided_p(estimate=math.nan, se=1.0) == 1.0
    assert two_sided_p(estimate=3.0, se=1.0, clusters=1) == 1.0


def test_the_dashboard_reads_a_stored_estimate_with_its_effective_clusters():
    from roi.services.refresh import fdr_p_value

    # given an estimate whose 40 resampled reps include 4 trained ones carrying its spread
    stored = {"att": 2.5, "se": 1.0, "clusters": 40, "effective_clusters": 4.2}
    # then its p-value reads t with 3.2 degrees of freedom, not 39
    assert fdr_p_value(stored) == pytest.approx(two_sided_p(estimate=2.5, se=1.0, clusters=4.2))
    assert fdr_p_value(stored) > 0.05 > two_sided_p(estimate=2.5, se=1.0, clusters=40)
    # and an estimate stored before effective clusters were kept reads its resampled clusters
    assert fdr_p_value({"att": 2.5, "se": 1.0, "clusters": 40}) == pytest.approx(
        two_sided_p(estimate=2.5, se=1.0, clusters=40)
    )
