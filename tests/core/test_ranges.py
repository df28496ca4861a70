"""Ranges read in the reader's language through one helper (core.templatetags.money):
"+$1,641 to +$10,226" in English, "+1.641 $ bis +10.226 $" in German (the catalogue's word for
"to", Babel's currency format for the locale), on the impact and efficiency pages alike."""

import pytest
from django.template import Context, Template
from django.utils import translation

from core.templatetags.money import money_range, value_range
from roi.efficiency.stats import Figure
from roi.templatetags.efficiency_format import figure
from roi.templatetags.roi_format import effect_range, num_range, pct_range

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "+$1,641 to +$10,226"), ("de", f"+1.641{NBSP}$ bis +10.226{NBSP}$")],
)
def test_an_interval_of_money_effects(lang, expected):
    with translation.override(lang):
        assert effect_range(1641.2, 10225.7, "currency", "USD") == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "€1,641.50 to €10,226"), ("de", f"1.641,50{NBSP}€ bis 10.226{NBSP}€")],
)
def test_a_money_range(lang, expected):
    with translation.override(lang):
        assert money_range("1641.5", 10226, "EUR") == expected


@pytest.mark.parametrize(
    ("lang", "pcts", "nums"),
    [
        ("en", "−12% to +140%", "0.85 to 1,234.50"),
        ("de", f"−12{NBSP}% bis +140{NBSP}%", "0,85 bis 1.234,50"),  # CLDR: "12 %"
    ],
)
def test_percent_and_number_ranges(lang, pcts, nums):
    with translation.override(lang):
        assert pct_range(-12.4, 140.2) == pcts
        assert num_range(0.849, 1234.5, 2) == nums


def test_an_unknown_end_is_a_dash():
    with translation.override("de"):
        assert value_range("—", "+3,0 Pkt.") == "— bis +3,0 Pkt."


def test_the_efficiency_figure_says_its_interval_with_the_range_helper():
    fig = Figure(value=2000.0, low=1641.0, high=10226.0, n=12)
    with translation.override("de"):
        html = str(figure(fig, "money", "USD"))
    assert f"95-%-Intervall 1.641{NBSP}$ bis 10.226{NBSP}$, 12 " in html


def test_the_dashboard_template_tag_renders_bis_in_german():
    template = Template("{% load roi_format %}{% effect_range low high 'currency' 'USD' %}")
    with translation.override("de"):
        text = template.render(Context({"low": -500, "high": 2500}))
    assert text == f"−500{NBSP}$ bis +2.500{NBSP}$"
