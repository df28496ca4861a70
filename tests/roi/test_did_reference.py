"""The estimator against R `did` 2.5.0 on the Callaway & Sant'Anna county panel (`mpdta`).

R's standard errors are analytical; ours come from a unit bootstrap with 999 draws, so they are
compared within 10% (the README of the data folder explains the reference).
"""

import csv
from pathlib import Path

import numpy as np
import pytest

from roi.estimators.did import Comparison, DidResult, Estimate, GroupTimeEffect, Panel, estimate

DATA = Path(__file__).parent / "data" / "did-reference"
SCENARIOS: dict[str, Comparison] = {
    "mpdta_nev_dr": "never_treated",
    "mpdta_nyt_dr": "not_yet_treated",
}
ATT_TOLERANCE = 1e-6
SE_TOLERANCE = 0.10


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def _mpdta() -> Panel:
    rows = _read("mpdta.csv")
    return Panel.from_columns(
        unit=[int(r["countyreal"]) for r in rows],
        period=[int(r["year"]) for r in rows],
        outcome=[float(r["lemp"]) for r in rows],
        first_treated=[float(r["first.treat"]) for r in rows],
    )


@pytest.fixture(scope="module")
def mpdta() -> Panel:
    return _mpdta()


@pytest.fixture(scope="module")
def results(mpdta: Panel) -> dict[str, DidResult]:
    return {
        scenario: estimate(mpdta, comparison=comparison, base_period="varying", n_boot=999, seed=7)
        for scenario, comparison in SCENARIOS.items()
    }


def _assert_matches(ours: Estimate | GroupTimeEffect, att: str, se: str) -> None:
    assert ours.att == pytest.approx(float(att), abs=ATT_TOLERANCE)
    assert ours.se == pytest.approx(float(se), rel=SE_TOLERANCE)
    assert ours.ci_low < ours.att < ours.ci_high


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_group_time_effects_match_r_did(scenario: str, results: dict[str, DidResult]) -> None:
    # given R's ATT(g, t) for this comparison group
    expected = [r for r in _read("attgt_r_did.csv") if r["scenario"] == scenario]

    # when the same cells are estimated here
    cells = {(c.group, c.period): c for c in results[scenario].cells}

    # then every cell is there, with R's estimate and a standard error close to R's
    assert sorted(cells) == sorted((int(r["group"]), int(r["t"])) for r in expected)
    for row in expected:
        cell = cells[(int(row["group"]), int(row["t"]))]
        _assert_matches(cell, row["att"], row["se"])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_aggregations_match_r_did(scenario: str, results: dict[str, DidResult]) -> None:
    # given R's simple, group, dynamic and calendar aggregations
    expected = [r for r in _read("aggte_r_did.csv") if r["scenario"] == scenario]

    # when they are read from our result
    result = results[scenario]

    # then each effect and each overall figure matches
    for row in expected:
        kind = row["type"]
        if kind == "simple":
            assert result.simple is not None
            _assert_matches(result.simple, row["overall_att"], row["overall_se"])
            continue
        aggregation = getattr(result, kind)
        _assert_matches(aggregation.by[int(row["egt"])], row["att_egt"], row["se_egt"])
        _assert_matches(aggregation.overall, row["overall_att"], row["overall_se"])
    assert result.dynamic is not None and result.group is not None
    assert sorted(result.dynamic.by) == [-3, -2, -1, 0, 1, 2, 3]
    assert sorted(result.group.by) == [2004, 2006, 2007]


def test_bootstrap_draws_of_the_simple_effect_are_returned(
    results: dict[str, DidResult],
) -> None:
    # given the never-treated result
    result = results["mpdta_nev_dr"]

    # when its simple interval is rebuilt from the returned draws
    draws = result.boot_simple
    low, high = np.quantile(draws, [0.025, 0.975])

    # then there is one draw per bootstrap sample and the interval is their percentile interval
    assert result.simple is not None
    assert draws.shape == (999,)
    assert result.simple.ci_low == pytest.approx(low, abs=1e-12)
    assert result.simple.ci_high == pytest.approx(high, abs=1e-12)
    assert result.simple.se == pytest.approx(float(draws.std(ddof=1)))


def test_pre_trend_check_reads_the_pre_treatment_event_times(
    results: dict[str, DidResult],
) -> None:
    # given the never-treated result, whose largest placebo effect (e = -3) is about 2 SEs
    result = results["mpdta_nev_dr"]

    # when its pre-trend check is read
    check = result.pre_trend

    # then the three pre-treatment event times are tested jointly and do not reject at 5%
    assert check is not None
    assert check.n_pre_periods == 3
    assert 1.8 < check.max_abs_t < 2.4
    assert 0.05 < check.p_value < 0.3
    assert result.pre_trend_clean is True


def test_universal_base_keeps_post_cells_and_lengthens_pre_cells(mpdta: Panel) -> None:
    # given estimates with a varying and with a universal base period, never-treated comparison
    varying = estimate(mpdta, comparison="never_treated", base_period="varying", n_boot=99)
    universal = estimate(mpdta, comparison="never_treated", base_period="universal", n_boot=99)

    # when their cells are lined up
    short = {(c.group, c.period): c.att for c in varying.cells}
    long = {(c.group, c.period): c.att for c in universal.cells}

    # then post cells agree (both use g - 1), and a universal pre cell is the sum of the short
    # differences back to g - 1, sign reversed; the base period itself is not a cell
    for key, att in short.items():
        if key[1] >= key[0]:
            assert long[key] == pytest.approx(att, abs=1e-12)
    assert long[(2007, 2004)] == pytest.approx(-(short[(2007, 2005)] + short[(2007, 2006)]))
    assert long[(2007, 2005)] == pytest.approx(-short[(2007, 2006)])
    assert (2007, 2006) not in long
    assert all(c.base == c.group - 1 for c in universal.cells)


def test_anticipation_moves_the_base_back_and_drops_cohorts_without_a_clean_base(
    mpdta: Panel,
) -> None:
    # given one period of anticipation: the 2004 cohort has no period before 2004 - 1
    rows = _read("mpdta.csv")
    lemp = {(r["countyreal"], int(r["year"])): float(r["lemp"]) for r in rows}
    cohort = {r["countyreal"]: int(r["first.treat"]) for r in rows}

    # when estimated against never-treated counties
    result = estimate(mpdta, comparison="never_treated", anticipation=1, n_boot=99)

    # then 2004 counties are dropped, and ATT(2006, 2006) is the 2x2 DiD from 2004
    def change(g: int) -> float:
        units = [u for u, first in cohort.items() if first == g]
        return sum(lemp[(u, 2006)] - lemp[(u, 2004)] for u in units) / len(units)

    cell = next(c for c in result.cells if (c.group, c.period) == (2006, 2006))
    assert result.n_dropped_always_treated == 20
    assert {c.group for c in result.cells} == {2006, 2007}
    assert cell.base == 2004
    assert cell.att == pytest.approx(change(2006) - change(0), abs=1e-12)
    assert (cell.n_treated, cell.n_control) == (40, 309)
