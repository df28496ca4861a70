import pytest
from django.utils import translation

from core.templatetags.money import money, money_short


@pytest.mark.parametrize(
    ("lang", "amount", "currency", "expected"),
    [
        ("en", 12500, "USD", "$12,500"),
        ("en", "12500.50", "EUR", "€12,500.50"),
        ("de", 12500, "USD", "12.500\xa0$"),
        ("de", "12500.5", "EUR", "12.500,50\xa0€"),
        ("en", None, "USD", "—"),
    ],
)
def test_money_follows_the_readers_language(lang, amount, currency, expected):
    with translation.override(lang):
        assert money(amount, currency) == expected


def test_money_short_is_compact():
    with translation.override("en"):
        assert money_short(1_234_567, "USD") == "$1.2M"


@pytest.mark.parametrize(
    ("lang", "amount", "expected"),
    [
        ("en", -849_432, "-$849.4K"),
        ("en", 950, "$950"),
        # German has no short form below a million; Babel wrote "-849432 $", ungrouped
        ("de", -849_432, "-849.432\xa0$"),
        ("de", "25200.40", "25.200\xa0$"),
        ("de", 950, "950\xa0$"),
        ("de", 1_849_432, "1,8\xa0Mio.\xa0$"),
    ],
)
def test_money_short_keeps_the_grouping_where_a_language_has_no_short_form(
    lang, amount, expected
):
    with translation.override(lang):
        assert money_short(amount, "USD") == expected
