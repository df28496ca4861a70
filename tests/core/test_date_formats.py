"""One date format per language across pages: templates name Django's formats (which
config/formats defines per language) instead of spelling patterns out."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format

from core.formats import WEEKDAY_DATE_LONG, WEEKDAY_DAY_MONTH_LONG, day_text

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NAMED = {"DATE_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"}
# Not dates of a record but labels: a weekday name, a month, a log line's time. Days in
# headings use CLDR's patterns (|day, core.formats.day_text).
HEADINGS = {"l", "Y-m", "j M, H:i:s"}


def test_templates_name_a_format_instead_of_spelling_a_pattern():
    spelled = {
        f"{path.relative_to(TEMPLATES)}: {pattern}"
        for path in TEMPLATES.rglob("*.html")
        for pattern in re.findall(r'\|date:"([^"]*)"', path.read_text(encoding="utf-8"))
        if pattern not in NAMED | HEADINGS
    }
    assert spelled == set()


def test_each_language_has_one_date_format():
    day = dt.datetime(2026, 12, 5, 16, 30)
    for language, expected_date, expected_time in (
        ("en", "5 Dec 2026", "5 Dec 2026, 16:30"),
        ("de", "05.12.2026", "05.12.2026, 16:30"),
    ):
        with translation.override(language):
            assert date_format(day, "DATE_FORMAT") == expected_date
            assert date_format(day, "SHORT_DATE_FORMAT") == expected_date
            assert date_format(day, "DATETIME_FORMAT") == expected_time
            assert date_format(day, "SHORT_DATETIME_FORMAT") == expected_time


def test_days_in_headings_follow_each_languages_cldr_pattern():
    # "Mo 7 Dez" (Django's "D j M" in German) was the pattern spelled out for every language
    day = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)
    cases = (
        ("en", "Mon, Dec 7", "Mon, December 7", "Mon, December 7, 2026"),
        ("de", "Mo., 7. Dez.", "Mo., 7. Dezember", "Mo., 7. Dezember 2026"),
    )
    for language, short, long, with_year in cases:
        with translation.override(language):
            assert day_text(day) == short
            assert day_text(day, WEEKDAY_DAY_MONTH_LONG) == long
            assert day_text(day, WEEKDAY_DATE_LONG) == with_year
    # a datetime is read in the viewer's zone: 23:30 UTC is already Tuesday in Berlin
    with translation.override("de"), timezone.override("Europe/Berlin"):
        assert day_text(day) == "Di., 8. Dez."


def test_percentages_follow_each_languages_cldr_pattern():
    # "0%" on a German course page, beside "bestes Ergebnis 80 %" from the translations
    page = Template(
        "{% load formats %}{{ done|percent }} · {{ score|percent }} · {{ t|percent:1 }}"
    )
    context = Context({"done": 0, "score": 82.5, "t": Decimal("12.5")})
    with translation.override("en"):
        assert page.render(context) == "0% · 83% · 12.5%"
    with translation.override("de"):
        assert page.render(context) == "0\xa0% · 83\xa0% · 12,5\xa0%"
