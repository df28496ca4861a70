"""Evidence gates, the evidence grade, the minimum detectable effect, and Phillips money."""

import numpy as np
import pytest

from roi.evidence import (
    Gate,
    GateSettings,
    evidence_grade,
    gates_evaluate,
    minimum_detectable_effect,
    required_post_months,
)
from roi.money import coaching_cost, money_evaluate, program_cost

SETTINGS = GateSettings()


def _gates(**overrides):  # type: ignore[no-untyped-def]
    values = {
        "treated_reps": 24,
        "comparison_reps": 30,
        "pre_months": 8.0,
        "post_months": 9.0,
        "median_cycle_days": 45.0,
    }
    values.update(overrides)
    return {g.name: g for g in gates_evaluate(settings=SETTINGS, **values)}


def test_the_mde_is_2_8_standard_errors_at_95_percent_and_80_percent_power():
    assert minimum_detectable_effect(10.0) == pytest.approx(28.016, abs=1e-3)
    assert minimum_detectable_effect(10.0, ci_level=0.90) == pytest.approx(24.865, abs=1e-3)


def test_the_post_training_gate_needs_one_median_cycle_in_whole_months_plus_one():
    assert required_post_months(45.0, SETTINGS) == 3  # 45 days is 1.5 months -> 2, plus 1
    assert required_post_months(30.0, SETTINGS) == 2
    assert required_post_months(None, SETTINGS) == 1


def test_every_gate_passes_on_enough_evidence():
    gates = _gates()

    assert [g.name for g in gates.values()] == [
        "treated_reps",
        "comparison_reps",
        "pre_months",
        "post_months",
    ]
    assert all(g.passed for g in gates.values())
    assert (gates["post_months"].required, gates["post_months"].actual) == (3, 9.0)


@pytest.mark.parametrize(
    ("override", "gate", "missing"),
    [
        ({"treated_reps": 12}, "treated_reps", "12 of 20 trained reps"),
        ({"comparison_reps": 0}, "comparison_reps", "0 of 20 comparison reps"),
        ({"pre_months": 2.0}, "pre_months", "2 of 3 months of data before training"),
        (
            {"post_months": 2.5},
            "post_months",
            "2.5 of 3 months after training (one sales cycle plus a month)",
        ),
    ],
)
def test_a_gate_below_its_threshold_says_what_is_missing(override, gate, missing):
    gates = _gates(**override)

    assert not gates[gate].passed
    assert [g.name for g in gates.values() if not g.passed] == [gate]
    assert gates[gate].missing() == missing


def test_gate_as_dict_is_the_api_shape():
    assert Gate("treated_reps", 20, 12, False).as_dict() == {
        "name": "treated_reps",
        "required": 20,
        "actual": 12,
        "passed": False,
    }


@pytest.mark.parametrize(
    ("gates_passed", "clean", "checked", "randomised", "powered", "grade"),
    [
        (True, True, True, True, True, "A"),
        (True, True, True, False, True, "B"),
        # a failed pre-trend withholds the finding: never a grade-C number
        (True, False, True, False, True, "D"),
        (True, False, True, True, True, "D"),
        (True, True, False, False, True, "C"),
        (True, None, False, False, True, "C"),
        # underpowered for the planned effect: shown, with grade C and the design check
        (True, True, True, False, False, "C"),
        (True, True, True, True, False, "C"),
        (False, True, True, True, True, "D"),
        (False, True, True, False, True, "D"),
    ],
)
def test_the_grade_follows_the_design(gates_passed, clean, checked, randomised, powered, grade):
    assert (
        evidence_grade(
            gates_passed=gates_passed,
            pre_trend_clean=clean,
            pre_periods_checked=checked,
            is_randomised=randomised,
            is_powered=powered,
        )
        == grade
    )


# --- Money ---------------------------------------------------------------------------------------


def _cost():  # type: ignore[no-untyped-def]
    # 10,000 content + 2,000 delivery + 20 seats x 150 + 20 x 4 h x 60 + 20 x 2 h x 90
    return program_cost(
        seats=20,
        content_cost=10_000,
        delivery_cost=2_000,
        cost_per_seat=150,
        learner_hours_per_seat=4,
        rep_hourly_cost=60,
        coaching_hours_per_seat=2,
        coach_hourly_cost=90,
    )


def test_program_cost_is_fully_loaded():
    cost = _cost()

    assert [(line.name, line.total) for line in cost.lines] == [
        ("content", 10_000),
        ("delivery", 2_000),
        ("seats", 3_000),
        ("learner_time", 4_800),
        ("coaching_time", 3_600),
    ]
    assert cost.total == 23_400


def test_coaching_cost_prices_both_people_per_session_hour():
    cost = coaching_cost(session_hours=10, rep_hourly_cost=60, coach_hourly_cost=90)

    assert cost.total == 1_500


def test_benefit_roi_interval_probability_and_break_even_from_the_same_draws():
    # given an effect of 500 a rep-month, 20 trained reps x 12 months, a 60% margin
    draws = np.array([100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, np.nan])

    money = money_evaluate(
        att=500.0,
        boot_att=draws,
        trained_rep_months=240,
        gross_margin_pct=60,
        cost=_cost(),
        currency="EUR",
    )

    # benefit = 500 x 240 x 0.6 = 72,000; ROI = (72,000 - 23,400) / 23,400
    assert money.benefit == pytest.approx(72_000)
    assert money.cost == 23_400
    assert money.roi_pct == pytest.approx(207.6923, abs=1e-3)
    # break-even: 23,400 / (240 x 0.6) = 162.5 a rep-month
    assert money.break_even_effect == pytest.approx(162.5)
    # every finite draw becomes an ROI: (d x 144 - 23,400) / 23,400; 8 of 9 are above 162.5
    roi_draws = (draws[:9] * 144 - 23_400) / 23_400 * 100
    assert money.roi_ci_low == pytest.approx(np.percentile(roi_draws, 2.5))
    assert money.roi_ci_high == pytest.approx(np.percentile(roi_draws, 97.5))
    assert money.p_roi_positive == pytest.approx(8 / 9)
    assert sum(b["count"] for b in money.histogram) == 9
    assert money.currency == "EUR"


def test_without_a_finding_only_cost_and_break_even_are_known():
    money = money_evaluate(
        att=None,
        boot_att=None,
        trained_rep_months=240,
        gross_margin_pct=60,
        cost=_cost(),
        currency="USD",
    )

    assert (money.benefit, money.roi_pct, money.p_roi_positive) == (None, None, None)
    assert (money.cost, money.break_even_effect) == (23_400, pytest.approx(162.5))
    assert money.histogram == []


def test_a_free_program_has_a_benefit_but_no_roi():
    free = program_cost(
        seats=5,
        content_cost=0,
        delivery_cost=0,
        cost_per_seat=0,
        learner_hours_per_seat=0,
        rep_hourly_cost=60,
        coaching_hours_per_seat=0,
        coach_hourly_cost=90,
    )

    money = money_evaluate(
        att=100.0,
        boot_att=np.array([90.0, 110.0]),
        trained_rep_months=60,
        gross_margin_pct=50,
        cost=free,
        currency="USD",
    )

    assert (money.benefit, money.roi_pct, money.break_even_effect) == (3_000.0, None, 0.0)
