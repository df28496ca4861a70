"""The estimator on simulated sales teams with a known effect, and on awkward panels."""

import numpy as np
import pytest

from roi.estimators.did import (
    Comparison,
    Panel,
    estimate,
    naive_before_after,
    naive_trained_vs_untrained,
)
from roi.estimators.multiple import two_sided_p
from roi.estimators.simulate import SalesScenario, effect_path, simulate_sales

SEEDS = range(80)
# Fewer draws keep 80 estimates fast; percentile intervals from 199 draws are still usable.
LOOP_DRAWS = 199


def _panel(rows: list[tuple[str, int, float, float]]) -> Panel:
    unit, period, outcome, first_treated = zip(*rows, strict=True)
    return Panel.from_columns(
        unit=unit, period=period, outcome=outcome, first_treated=first_treated
    )


@pytest.mark.parametrize(
    ("comparison", "partial_tenure_share"),
    [("not_yet_treated", 0.0), ("never_treated", 0.2)],
)
def test_interval_covers_the_true_effect_in_at_least_90_percent_of_teams(
    comparison: Comparison, partial_tenure_share: float
) -> None:
    # given 80 simulated teams where better reps train first, some reps come and go
    scenario = SalesScenario(partial_tenure_share=partial_tenure_share)

    # when each team's overall effect is estimated
    covered = []
    for seed in SEEDS:
        sales = simulate_sales(scenario, seed=seed)
        result = estimate(sales.panel, comparison=comparison, n_boot=LOOP_DRAWS, seed=seed)
        assert result.simple is not None
        covered.append(result.simple.ci_low <= sales.true_simple_att <= result.simple.ci_high)

    # then the 95% interval holds the true effect in at least 90% of them
    assert np.mean(covered) >= 0.90


def test_naive_figures_are_badly_biased_where_the_estimator_is_not() -> None:
    # given the same simulated teams
    relative_errors: dict[str, list[float]] = {"before_after": [], "trained": [], "did": []}

    # when the naive figures and the estimate are compared with the truth
    for seed in SEEDS:
        sales = simulate_sales(SalesScenario(), seed=seed)
        truth = sales.true_simple_att
        result = estimate(sales.panel, n_boot=LOOP_DRAWS, seed=seed)
        assert result.simple is not None
        relative_errors["before_after"].append(naive_before_after(sales.panel) / truth - 1)
        relative_errors["trained"].append(naive_trained_vs_untrained(sales.panel) / truth - 1)
        relative_errors["did"].append(result.simple.att / truth - 1)

    # then both naive figures are off by more than half the effect in most teams (market growth
    # and quarter ends inflate before/after; selection of the best reps inflates trained vs
    # untrained), while the estimate is rarely off by that much (only by chance, its standard
    # error is about a quarter of the effect) and is right on average
    errors = {name: np.abs(values) for name, values in relative_errors.items()}
    assert np.mean(errors["before_after"] > 0.5) >= 0.9
    assert np.mean(errors["trained"] > 0.5) >= 0.9
    assert np.mean(errors["did"] > 0.5) <= 0.1
    assert abs(np.mean(relative_errors["did"])) < 0.05


def test_full_bootstrap_recovers_the_event_study_of_one_team() -> None:
    # given one larger team, estimated with the full 999 draws
    sales = simulate_sales(SalesScenario(n_reps=600), seed=2024)

    # when the event study is read
    result = estimate(sales.panel, n_boot=999, seed=1)
    assert result.simple is not None and result.dynamic is not None

    # then the overall intervals hold the truth, so do most months since training (their errors
    # are correlated, so a share well below 95% can happen by chance), the ramp-up of the first
    # months is visible, and months before training show nothing
    dynamic_truth = np.mean([sales.true_dynamic[e] for e in result.dynamic.by if e >= 0])
    covered = [
        estimate_e.ci_low <= sales.true_dynamic[e] <= estimate_e.ci_high
        for e, estimate_e in result.dynamic.by.items()
        if e >= 0
    ]
    assert result.boot_simple.shape == (999,)
    assert result.simple.ci_low <= sales.true_simple_att <= result.simple.ci_high
    assert result.dynamic.overall.ci_low <= dynamic_truth <= result.dynamic.overall.ci_high
    assert np.mean(covered) >= 0.75
    assert result.dynamic.by[0].att < result.dynamic.by[2].att
    assert result.pre_trend_clean is True


def test_pre_trend_check_flags_reps_sent_to_training_after_a_bad_stretch() -> None:
    # given teams whose reps dip in the three months before training (Ashenfelter's dip),
    # which breaks parallel trends, and the same teams without the dip
    dip = SalesScenario(dip_before_training=10.0)

    # when each is estimated
    def clean_share(scenario: SalesScenario) -> float:
        checks = [
            estimate(
                simulate_sales(scenario, seed=s).panel, n_boot=LOOP_DRAWS, seed=s
            ).pre_trend_clean
            for s in range(20)
        ]
        return float(np.mean([check is True for check in checks]))

    # then the check passes most clean designs and flags most broken ones
    assert clean_share(SalesScenario()) >= 0.8
    assert clean_share(dip) <= 0.3


def test_two_by_two_cells_use_the_not_yet_treated_units_of_each_period() -> None:
    # given unit A trained in period 2, B in period 3, C never
    y = {"A": [1.0, 4.0, 9.0], "B": [2.0, 3.0, 10.0], "C": [0.0, 2.0, 3.0]}
    first = {"A": 2.0, "B": 3.0, "C": 0.0}
    panel = _panel([(u, t + 1, y[u][t], first[u]) for u in y for t in range(3)])

    # when estimated against not-yet-treated units
    result = estimate(panel, n_boot=20, seed=0)
    cells = {(c.group, c.period): c for c in result.cells}

    # then B is a comparison for A only while untreated, and C always
    assert cells[(2, 2)].att == pytest.approx((4 - 1) - ((3 - 2) + (2 - 0)) / 2)
    assert cells[(2, 3)].att == pytest.approx((9 - 1) - (3 - 0))
    assert cells[(3, 2)].att == pytest.approx((3 - 2) - (2 - 0))
    assert cells[(3, 3)].att == pytest.approx((10 - 3) - (3 - 2))
    assert [cells[k].n_control for k in sorted(cells)] == [2, 1, 1, 1]
    assert sorted(cells) == [(2, 2), (2, 3), (3, 2), (3, 3)]


@pytest.mark.parametrize("comparison", ["never_treated", "not_yet_treated"])
def test_a_team_that_all_trains_at_once_is_not_estimable(comparison: Comparison) -> None:
    # given every rep trained in the same month, so no one is left to compare with
    sales = simulate_sales(SalesScenario(n_reps=40), seed=3)
    panel = Panel(
        unit=sales.panel.unit,
        period=sales.panel.period,
        outcome=sales.panel.outcome,
        first_treated=np.full(sales.panel.unit.size, float(sales.months[12])),
    )

    # when estimated
    result = estimate(panel, comparison=comparison, n_boot=99)

    # then the result says why and carries no numbers
    assert result.estimable is False
    assert result.reason == "no comparison units"
    assert result.simple is None and result.dynamic is None and result.cells == ()
    assert result.boot_simple.size == 0
    assert result.pre_trend_clean is None


def test_a_team_where_no_one_trains_is_not_estimable() -> None:
    # given no rep trained within the window (one trains after its end)
    panel = _panel([(u, t, float(t), g) for u, g in (("a", 0.0), ("b", 9.0)) for t in (1, 2)])

    # when estimated
    result = estimate(panel, n_boot=99)

    # then there is nothing to estimate
    assert (result.estimable, result.reason) == (False, "no treated units")
    assert result.n_never_treated_units == 2


def test_an_empty_panel_is_not_estimable() -> None:
    # given a program with no rep-months yet
    panel = Panel.from_columns(unit=[], period=[], outcome=[], first_treated=[])

    # when estimated, then it says so instead of failing
    result = estimate(panel, n_boot=99)
    assert (result.estimable, result.reason, result.n_units) == (False, "no treated units", 0)


def test_unbalanced_panel_with_missing_rows_and_outcomes_is_estimated() -> None:
    # given a team whose panel lacks 15% of its rows and has some outcomes missing
    sales = simulate_sales(SalesScenario(), seed=11)
    rng = np.random.default_rng(0)
    keep = rng.random(sales.panel.unit.size) > 0.15
    outcome = np.where(rng.random(keep.sum()) < 0.05, np.nan, sales.panel.outcome[keep])
    panel = Panel(
        unit=sales.panel.unit[keep],
        period=sales.panel.period[keep],
        outcome=outcome,
        first_treated=sales.panel.first_treated[keep],
    )

    # when estimated
    result = estimate(panel, n_boot=LOOP_DRAWS, seed=0)
    assert result.simple is not None

    # then each cell counts only reps observed in both of its periods, and the estimate still
    # brackets the truth
    first = next(c for c in result.cells if c.is_post)
    in_both = _reps_observed_in(panel, first.group, (first.period, first.base))
    assert first.n_treated == in_both < 50
    assert result.simple.ci_low <= sales.true_simple_att <= result.simple.ci_high


def _reps_observed_in(panel: Panel, group: int, periods: tuple[int, int]) -> int:
    observed = np.isfinite(panel.outcome) & (panel.first_treated == group)
    reps = [set(panel.unit[observed & (panel.period == p)].tolist()) for p in periods]
    return len(reps[0] & reps[1])


def test_same_seed_gives_the_same_result_whatever_the_row_order() -> None:
    # given one team, and the same panel with its rows shuffled
    panel = simulate_sales(SalesScenario(n_reps=120), seed=5).panel
    order = np.random.default_rng(1).permutation(panel.unit.size)
    shuffled = Panel(
        unit=panel.unit[order],
        period=panel.period[order],
        outcome=panel.outcome[order],
        first_treated=panel.first_treated[order],
    )

    # when estimated twice with one seed and once with another
    first = estimate(panel, n_boot=99, seed=42)
    again = estimate(shuffled, n_boot=99, seed=42)
    other = estimate(panel, n_boot=99, seed=43)

    # then the seed fixes every draw, and only the seed matters
    np.testing.assert_array_equal(first.boot_simple, again.boot_simple)
    assert first.cells == again.cells
    assert first.simple is not None and other.simple is not None
    assert first.simple.att == other.simple.att
    assert not np.array_equal(first.boot_simple, other.boot_simple)


def test_simulation_is_seedable_and_its_truth_follows_the_ramp() -> None:
    # given a scenario whose lift ramps up over three months
    scenario = SalesScenario(effect=6.0, ramp_months=3, effect_heterogeneity=0.0)

    # when simulated twice with one seed
    first, again = simulate_sales(scenario, seed=9), simulate_sales(scenario, seed=9)

    # then the data repeat, and the true lift is 2, 4, then 6 a month
    np.testing.assert_array_equal(first.panel.outcome, again.panel.outcome)
    assert [first.true_dynamic[e] for e in range(4)] == pytest.approx([2.0, 4.0, 6.0, 6.0])
    assert effect_path(scenario, np.array([-1, 0, 1, 2, 10])).tolist() == [0, 2, 4, 6, 6]


def test_panel_rejects_duplicate_rows_and_inconsistent_treatment_dates() -> None:
    # given panels with a repeated (unit, period) and with two training dates for one unit
    duplicated = _panel([("a", 1, 1.0, 0.0), ("a", 1, 2.0, 0.0)])
    inconsistent = _panel([("a", 1, 1.0, 2.0), ("a", 2, 2.0, 3.0)])

    # when estimated, then the input is refused
    with pytest.raises(ValueError, match="more than one row"):
        estimate(duplicated)
    with pytest.raises(ValueError, match="same on every row"):
        estimate(inconsistent)


def test_pre_trend_check_keeps_its_size_when_reps_train_one_or_two_a_month() -> None:
    # given 80 clean teams of 40 reps (no pre-trend, no effect) where 20 reps train a few at a
    # time: one or two in each of 17 consecutive months, as orgs roll training out gradually
    gradual = SalesScenario(
        n_reps=40,
        n_months=24,
        noise_sd=10.0,
        effect=0.0,
        never_trained_share=0.5,
        n_cohorts=17,
        first_cohort_month=6,
        cohort_spacing=1,
    )

    # when each is estimated and its pre-trend check read
    checks = [
        estimate(simulate_sales(gradual, seed=s).panel, n_boot=99, seed=s).pre_trend
        for s in range(80)
    ]

    # then about one clean design in twenty is withheld: at most 0.125, three binomial standard
    # errors (0.024 at 5% of 80) above the 5% level. Referred to F(12, 40 - 12), as if all 40
    # reps carried every month's covariance, the check rejected 29 of these 80; each
    # month rests on the dozen trained reps whose cohorts reach it, and the test now reads the
    # months its effective clusters can carry (the nearest six here)
    assert all(check is not None for check in checks)
    rejected = np.mean([not check.is_clean for check in checks if check is not None])
    assert rejected <= 0.125
    assert {check.n_candidate_periods for check in checks if check is not None} == {12}


def test_dashboard_p_value_keeps_its_size_when_few_of_many_reps_are_trained() -> None:
    # given 100 clean teams of 40 reps (no effect) where only 3 reps train, one a month
    few_trained = SalesScenario(
        n_reps=40,
        n_months=24,
        noise_sd=10.0,
        effect=0.0,
        never_trained_share=1 - 3 / 40,
        n_cohorts=3,
        first_cohort_month=6,
        cohort_spacing=1,
    )

    # when each overall effect is read as the dashboard reads it: t with the effective
    # clusters behind its standard error, minus one, degrees of freedom
    results = [
        estimate(simulate_sales(few_trained, seed=s).panel, n_boot=99, seed=s) for s in range(100)
    ]
    p_values = [
        two_sided_p(estimate=r.simple.att, se=r.simple.se, clusters=r.simple_effective_clusters)
        for r in results
        if r.simple is not None
    ]

    # then about one in twenty is significant at 5%: at most 0.115, three binomial standard
    # errors (0.022 at 5% of 100) above the level. The spread rests on the 3 trained reps
    # (effective clusters about 3), not on the 40 resampled: read against t with 39 degrees of
    # freedom, 15 of these 100 were significant (and 12 of 100 with 4 trained reps, 8.6% of 200
    # with 20 trained one or two a month; docs/roi.md)
    assert len(p_values) == 100
    assert {round(r.simple_effective_clusters or 0) for r in results} <= {3, 4}
    assert np.mean(np.array(p_values) < 0.05) <= 0.115
