"""The rep x calendar-month panel, aggregated in the database.

One set-based query per metric family, each grouped by (rep, month) in SQL; Python only places
the aggregated rows into arrays (never a loop over deals):

- closed deals (by month closed): won and lost counts and values in the home currency, and the
  cycle days of the deals won;
- new deals (by month created): counts, and how many have a compelling deadline, economic-buyer
  access, and both (the leading indicators; a fact the CRM left empty counts as unknown);
- slips (by month of the close date that came due): from the close-date history, close dates
  pushed later without the deal closing by them; from the deals as they are, close dates that
  passed without closing (two queries over two tables, added up per rep-month; a deal's date
  counts once, as in deals.slips: a date pushed more than once, or pushed and then the current
  date again, is one date that came due);
- tenure: the months each rep was on the team (hire date or first deal, to today or, for a rep who
  left, their last deal), cut to the months their CRM sources' data covers (roi.panel.coverage):
  months before a source's data starts or after it ends are missing, never zeros.

Definitions (the same words are in docs/roi.md):
- win rate = won / (won + lost) among deals closed in the month, by count (value: same with
  amounts); open deals are left out.
- cycle days = closed date - created date of the deals won in the month (lost deals are left out:
  dropping a hopeless deal early is good work, not a shorter cycle).
- a close date "comes due" on its date; it slipped when it was pushed later, or passed, without
  the deal closing by it. slip rate = slipped / come due.
- amounts are converted with the exchange rate valid on the day the deal closed
  (deals.ExchangeRate: the latest `valid_from` on or before that day); a deal in a currency
  without a rate that day still counts in counts, is never valued at 0 (bookings count it at an
  average converted win: RepMonthPanel.bookings), and is reported as unconverted by currency.

Months are bucketed in UTC (roi.months) so that a rep's panel is the same whoever looks at it.
"""

from roi.panel.arrays import BoolArray, FloatArray, IntArray, RepMonthPanel
from roi.panel.assembly import panel_assemble, panel_build
from roi.panel.coverage import DataCoverage, SourceCoverage, data_coverage
from roi.panel.queries import (
    CLOSED_COLUMNS,
    CURRENT_COLUMNS,
    EXCESS_COLUMNS,
    NEW_COLUMNS,
    PUSHED_COLUMNS,
    TENURE_COLUMNS,
    closed_deals_query,
    current_close_dates_query,
    first_rate_days,
    new_deals_query,
    pushed_close_dates_query,
    tenure_query,
    unconverted_currencies_query,
    won_amount_percentile,
    won_excess_query,
)
from roi.panel.sql import DaysBetween, MonthNumber, duration_days
from roi.panel.window import PANEL_MONTHS, PanelWindow

__all__ = [
    "CLOSED_COLUMNS",
    "CURRENT_COLUMNS",
    "EXCESS_COLUMNS",
    "NEW_COLUMNS",
    "PANEL_MONTHS",
    "PUSHED_COLUMNS",
    "TENURE_COLUMNS",
    "BoolArray",
    "DataCoverage",
    "DaysBetween",
    "FloatArray",
    "IntArray",
    "MonthNumber",
    "PanelWindow",
    "RepMonthPanel",
    "SourceCoverage",
    "closed_deals_query",
    "current_close_dates_query",
    "data_coverage",
    "duration_days",
    "first_rate_days",
    "new_deals_query",
    "panel_assemble",
    "panel_build",
    "pushed_close_dates_query",
    "tenure_query",
    "unconverted_currencies_query",
    "won_amount_percentile",
    "won_excess_query",
]
