"""Every CSV export defuses formula cells and keeps numbers numeric (issue #11, item 8)."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from core.csv_export import csv_cell, csv_text
from deals.services.csv_import import csv_error_report
from roi.tables import Column, Table

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "core",
    "events",
    "accounts",
    "training",
    "deals",
    "coaching",
    "integrations",
    "roi",
    "home",
]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Acme = big", "Acme = big"),
        ("", ""),
        (None, ""),
        (-5, "-5"),
        (Decimal("-1200.50"), "-1200.50"),
        (-0.1234567, "-0.123457"),
        (3, "3"),
        (True, "True"),
    ],
)
def test_csv_cell_defuses_formulas_and_keeps_numbers(value, cell):
    assert csv_cell(value) == cell


def _parsed(text):
    return list(csv.reader(io.StringIO(text)))


def test_the_impact_table_export_defuses_text_and_keeps_numbers():
    table = Table(
        slug="t",
        title="T",
        columns=[Column("item", "Item"), Column("effect", "Effect", "number")],
        rows=[{"item": "=cmd|' /C calc'!A0", "effect": -0.25}, {"item": "@x", "effect": None}],
    )

    assert _parsed(table.csv()) == [
        ["Item", "Effect"],
        ["'=cmd|' /C calc'!A0", "-0.25"],
        ["'@x", ""],
    ]


def test_the_import_error_report_defuses_every_text_cell():
    report = csv_error_report(
        errors=[{"index": 0, "external_id": "\t=1+1", "field": "-name", "message": "+bad"}]
    )

    assert _parsed(report) == [
        ["index", "line", "external_id", "column", "message"],
        ["0", "2", "'\t=1+1", "'-name", "'+bad"],
    ]


def test_csv_text_writes_header_and_rows():
    assert csv_text(header=["a", "=b"], rows=[[1, "=c"]]) == "a,'=b\r\n1,'=c\r\n"


def test_no_export_writes_csv_around_the_shared_writer():
    # A new export must use core.csv_export, or its cells reach spreadsheets undefused.
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if path.name != "csv_export.py"
        and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]

    assert offenders == []


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (1834112.383, "1834112.38"),
        (1.83411e6, "1834110"),
        (-2500000.5, "-2500000.5"),
        (0.0123456789, "0.0123457"),
        (4.0625, "4.0625"),
        (0.1 + 0.2, "0.3"),
        (1e20, "100000000000000000000"),
        (0.0, "0"),
        (Decimal("1.83411E+6"), "1834110"),
        (Decimal("12.50"), "12.50"),
    ],
)
def test_numbers_are_fixed_point_never_an_exponent(value, cell):
    assert csv_cell(value) == cell
