"""One date format per language across pages: templates name Django's formats (which
config/formats defines per language) instead of spelling patterns out."""

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NAMED = {"DATE_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"}
# Not dates of a record but headings and labels: weekday names in the calendar grid, a month.
HEADINGS = {"l", "l j F", "l j F Y", "D j", "Y-m", "j M, H:i:s"}


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
