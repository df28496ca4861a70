"""An independent reference for the efficiency report's rows, in hand-written SQL (PostgreSQL).

It does not call Coachline's code: it reads the tables with psycopg and re-derives, from the
rules written in docs/roi.md ("Efficiency and effectiveness") and the module docs of
roi.panel, tools.selectors, roi.efficiency and deals.meetings/stages, the rows a leader sees
(every team, the total and every month): reps, rep-months, tool and enablement spend per
rep-month, and each outcome's value, 95% interval and the number of reps (stays) it rests on.
bench/efficiency.py compares the two figure by figure and times both.

What it reads as given, as the report does: the data coverage the latest refresh stored (the
window ends with its last month) and each program's cost per seat from its latest bookings
report. The slip figure and the graded estimates are single numbers read straight from a
table, not re-derived here.
"""

from __future__ import annotations

import math
import re
from typing import Any

import psycopg
from scipy import stats

# The rep x month base table: every value is 0 outside the months a rep is observed.
_BASE = """
CREATE TEMP TABLE ref_window AS
WITH cov AS (
    SELECT to_date(s->>'first_month', 'YYYY-MM') AS first_month,
           to_date(s->>'last_month', 'YYYY-MM') AS last_month
    FROM (SELECT summary->'coverage'->'sources' AS sources FROM roi_reportsnapshot
          ORDER BY computed_at DESC, id DESC LIMIT 1) r,
         jsonb_array_elements(r.sources) s
)
SELECT (max(last_month) - make_interval(months => %(months)s - 1))::date AS first_day,
       max(last_month) AS last_day,
       (max(last_month) + interval '1 month')::date AS end_day,
       (timezone('UTC', now()))::date AS today,
       (SELECT home_currency FROM core_organization WHERE id = 1) AS home
FROM cov;

CREATE TEMP TABLE ref_cov AS
SELECT s->>'source' AS source,
       to_date(s->>'first_month', 'YYYY-MM') AS first_month,
       to_date(s->>'last_month', 'YYYY-MM') AS last_month
FROM (SELECT summary->'coverage'->'sources' AS sources FROM roi_reportsnapshot
      ORDER BY computed_at DESC, id DESC LIMIT 1) r,
     jsonb_array_elements(r.sources) s;

CREATE TEMP TABLE ref_rep AS
SELECT id, team_id, hire_date, is_active FROM accounts_user
WHERE role = 'rep' AND team_id IS NOT NULL;

CREATE TEMP TABLE ref_month AS
SELECT m::date AS m FROM ref_window w,
     generate_series(w.first_day::timestamp, w.last_day::timestamp, interval '1 month') AS m;

-- When each rep is observed: from hire (or first deal, if earlier), but not before their CRM
-- sources' covered data starts, to the window's end, but not after that data ends; a rep who
-- left ends with their last deal created or closed.
CREATE TEMP TABLE ref_span AS
WITH per_source AS (
    SELECT d.owner_id, d.source,
           date_trunc('month', min(d.created_at) AT TIME ZONE 'UTC')::date AS first_deal,
           date_trunc('month', greatest(max(d.created_at), max(d.closed_at))
                      AT TIME ZONE 'UTC')::date AS last_deal
    FROM deals_deal d JOIN ref_rep r ON r.id = d.owner_id
    GROUP BY d.owner_id, d.source
), per_rep AS (
    SELECT r.id, r.hire_date, r.is_active,
           count(p.source) AS sources,
           count(c.source) AS covered,
           min(p.first_deal) AS first_deal,
           max(p.last_deal) AS last_deal,
           min(c.first_month) AS data_first,
           max(c.last_month) AS data_last
    FROM ref_rep r
    LEFT JOIN per_source p ON p.owner_id = r.id
    LEFT JOIN ref_cov c ON c.source = p.source
    GROUP BY r.id, r.hire_date, r.is_active
)
SELECT p.id,
       greatest(least(date_trunc('month', p.hire_date::timestamp)::date, p.first_deal),
                CASE WHEN p.sources > 0 THEN p.data_first
                     ELSE (SELECT min(first_month) FROM ref_cov) END) AS first_m,
       CASE WHEN p.is_active THEN
                least(w.last_day, CASE WHEN p.sources > 0 THEN p.data_last
                                       ELSE (SELECT max(last_month) FROM ref_cov) END)
            ELSE least(w.last_day, CASE WHEN p.sources > 0 THEN p.data_last
                                        ELSE (SELECT max(last_month) FROM ref_cov) END,
                       p.last_deal)
       END AS last_m,
       (p.is_active OR p.last_deal IS NOT NULL)
           AND (p.hire_date IS NOT NULL OR p.first_deal IS NOT NULL) AS may_be_observed,
       p.sources = 0 OR p.covered > 0 AS has_covered_data
FROM per_rep p, ref_window w;

CREATE TEMP TABLE ref_rm AS
SELECT r.id AS rep_id, r.team_id, m.m,
       (sp.has_covered_data AND sp.may_be_observed AND sp.first_m IS NOT NULL
        AND m.m BETWEEN sp.first_m AND sp.last_m) AS active
FROM ref_rep r JOIN ref_span sp ON sp.id = r.id CROSS JOIN ref_month m;

-- Deals closed in the window, by owner and month closed, with their home-currency amount
-- (NULL without a rate on the close day).
CREATE TEMP TABLE ref_closed AS
WITH closed AS (
    SELECT d.owner_id, d.status, d.amount, d.currency,
           date_trunc('month', d.closed_at AT TIME ZONE 'UTC')::date AS m,
           (d.closed_at AT TIME ZONE 'UTC')::date - (d.created_at AT TIME ZONE 'UTC')::date
               AS cycle,
           CASE WHEN d.currency = w.home THEN d.amount
                ELSE d.amount * (SELECT x.rate FROM deals_exchangerate x
                                 WHERE x.currency = d.currency
                                   AND x.valid_from <= (d.closed_at AT TIME ZONE 'UTC')::date
                                 ORDER BY x.valid_from DESC LIMIT 1) END AS home_amount
    FROM deals_deal d JOIN ref_rep r ON r.id = d.owner_id, ref_window w
    WHERE d.status IN ('won', 'lost')
      AND d.closed_at >= w.first_day::timestamp AT TIME ZONE 'UTC'
      AND d.closed_at < w.end_day::timestamp AT TIME ZONE 'UTC'
)
SELECT owner_id AS rep_id, m,
       count(*) FILTER (WHERE status = 'won') AS won,
       count(*) FILTER (WHERE status = 'lost') AS lost,
       coalesce(sum(home_amount) FILTER (WHERE status = 'won'), 0) AS won_value,
       count(*) FILTER (WHERE status = 'won' AND home_amount IS NULL) AS won_unknown,
       coalesce(sum(cycle) FILTER (WHERE status = 'won'), 0) AS cycle
FROM closed GROUP BY owner_id, m;

-- Close dates that came due in the window: the current ones (met, missed, or open and past)
-- and the ones pushed later without the deal closing by them.
CREATE TEMP TABLE ref_slip AS
WITH current_dates AS (
    SELECT d.owner_id AS rep_id,
           date_trunc('month', d.expected_close_date::timestamp)::date AS m,
           (d.status <> 'open' AND d.closed_at IS NOT NULL) AS closed,
           (d.closed_at AT TIME ZONE 'UTC')::date AS close_day,
           d.expected_close_date AS due_day, w.today
    FROM deals_deal d JOIN ref_rep r ON r.id = d.owner_id, ref_window w
    WHERE d.expected_close_date >= w.first_day AND d.expected_close_date < w.end_day
), close_date_change AS (
    -- The first record of a field has no old value: never cast an empty one.
    SELECT c.deal_id,
           CASE WHEN c.old_value = '' THEN NULL ELSE c.old_value::date END AS old_day,
           CASE WHEN c.new_value = '' THEN NULL ELSE c.new_value::date END AS new_day
    FROM deals_dealchange c WHERE c.field = 'expected_close_date'
), pushed AS (
    SELECT d.owner_id AS rep_id, date_trunc('month', c.old_day::timestamp)::date AS m
    FROM close_date_change c JOIN deals_deal d ON d.id = c.deal_id
    JOIN ref_rep r ON r.id = d.owner_id, ref_window w
    WHERE c.old_day >= w.first_day AND c.old_day < w.end_day AND c.new_day > c.old_day
      AND (d.status = 'open' OR d.closed_at IS NULL
           OR (d.closed_at AT TIME ZONE 'UTC')::date > c.old_day)
)
SELECT rep_id, m, sum(due) AS due, sum(missed) AS missed FROM (
    SELECT rep_id, m,
           count(*) FILTER (WHERE closed OR due_day < today) AS due,
           count(*) FILTER (WHERE (closed AND close_day > due_day)
                            OR (NOT closed AND due_day < today)) AS missed
    FROM current_dates GROUP BY rep_id, m
    UNION ALL
    SELECT rep_id, m, count(*), count(*) FROM pushed GROUP BY rep_id, m
) u GROUP BY rep_id, m;

-- Meetings held in the window; one advanced its deal when within N days after it the deal
-- changed stage (not as it was lost) or was won.
CREATE TEMP TABLE ref_meeting AS
SELECT a.owner_id AS rep_id, date_trunc('month', a.occurred_at AT TIME ZONE 'UTC')::date AS m,
       count(*) AS meetings,
       count(*) FILTER (WHERE a.deal_id IS NOT NULL) AS on_deals,
       count(*) FILTER (WHERE a.deal_id IS NOT NULL AND (
           EXISTS (SELECT 1 FROM deals_dealchange c
                   WHERE c.deal_id = a.deal_id AND c.field = 'stage'
                     AND c.changed_at > a.occurred_at
                     AND c.changed_at <= a.occurred_at + s.days * interval '1 day'
                     AND NOT EXISTS (SELECT 1 FROM deals_dealchange l
                                     WHERE l.deal_id = c.deal_id AND l.field = 'status'
                                       AND l.new_value = 'lost'
                                       AND l.changed_at = c.changed_at))
           OR EXISTS (SELECT 1 FROM deals_dealchange c
                      WHERE c.deal_id = a.deal_id AND c.field = 'status'
                        AND c.new_value = 'won' AND c.changed_at > a.occurred_at
                        AND c.changed_at <= a.occurred_at + s.days * interval '1 day')
           OR EXISTS (SELECT 1 FROM deals_deal d
                      WHERE d.id = a.deal_id AND d.status = 'won'
                        AND d.closed_at > a.occurred_at
                        AND d.closed_at <= a.occurred_at + s.days * interval '1 day')
       )) AS advanced
FROM deals_activity a JOIN ref_rep r ON r.id = a.owner_id, ref_window w,
     (SELECT meeting_advance_days AS days FROM roi_roisettings WHERE id = 1) s
WHERE a.kind = 'meeting'
  AND a.occurred_at >= w.first_day::timestamp AT TIME ZONE 'UTC'
  AND a.occurred_at < w.end_day::timestamp AT TIME ZONE 'UTC'
GROUP BY a.owner_id, m;

-- Tool spend per person and month: a per-seat tool costs its monthly cost per holder, a flat
-- one is shared among its holders (all active reps when it has no seats); at the rate valid
-- on the month's first day, rounded to cents; a person's month total rounded to cents.
CREATE TEMP TABLE ref_tool AS
WITH tool_month AS (
    SELECT t.id, t.pricing, t.monthly_cost, t.currency, m.m
    FROM tools_tool t CROSS JOIN ref_month m
    WHERE t.starts_on < (m.m + interval '1 month') AND (t.ends_on IS NULL OR t.ends_on >= m.m)
), holder AS (
    SELECT tm.id, tm.m, s.user_id AS person FROM tool_month tm
    JOIN tools_toolseat s ON s.tool_id = tm.id AND s.user_id IS NOT NULL
     AND s.starts_on < (tm.m + interval '1 month') AND (s.ends_on IS NULL OR s.ends_on >= tm.m)
    UNION
    SELECT tm.id, tm.m, u.id FROM tool_month tm
    JOIN tools_toolseat s ON s.tool_id = tm.id AND s.team_id IS NOT NULL
     AND s.starts_on < (tm.m + interval '1 month') AND (s.ends_on IS NULL OR s.ends_on >= tm.m)
    JOIN accounts_user u ON u.team_id = s.team_id AND u.is_active
    UNION
    SELECT tm.id, tm.m, u.id FROM tool_month tm
    JOIN accounts_user u ON u.role = 'rep' AND u.is_active
    WHERE tm.pricing = 'flat' AND NOT EXISTS (SELECT 1 FROM tools_toolseat s
                                              WHERE s.tool_id = tm.id)
), priced AS (
    SELECT tm.id, tm.m, tm.pricing,
           CASE WHEN tm.currency = w.home THEN tm.monthly_cost
                ELSE round(tm.monthly_cost * (SELECT x.rate FROM deals_exchangerate x
                                              WHERE x.currency = tm.currency
                                                AND x.valid_from <= tm.m
                                              ORDER BY x.valid_from DESC LIMIT 1), 2)
           END AS cost,
           (SELECT count(*) FROM holder h WHERE h.id = tm.id AND h.m = tm.m) AS holders
    FROM tool_month tm, ref_window w
)
SELECT h.person AS rep_id, h.m,
       round(sum(CASE WHEN p.pricing = 'per_seat' THEN p.cost ELSE p.cost / p.holders END), 2)
           AS spend
FROM holder h JOIN priced p ON p.id = h.id AND p.m = h.m
WHERE p.cost IS NOT NULL
GROUP BY h.person, h.m;

-- Enablement: a seat of each program a rep completed (every course of it; in the month of
-- the last completion) at the program's cost per seat, and each completed coaching hour at a
-- rep's and a coach's hourly cost.
CREATE TEMP TABLE ref_enable AS
WITH per_seat AS (
    SELECT subject_key AS slug,
           (payload->'money'->>'cost')::float8 / seats AS cost
    FROM (SELECT subject_key, payload,
                 (SELECT (l->>'quantity')::float8
                  FROM jsonb_array_elements(
                      CASE WHEN jsonb_typeof(payload->'money'->'cost_lines') = 'array'
                           THEN payload->'money'->'cost_lines' ELSE '[]'::jsonb END) l
                  WHERE l->>'name' = 'seats' LIMIT 1) AS seats
          FROM roi_reportsnapshot
          WHERE metric = 'bookings' AND subject_kind = 'program') s
    WHERE payload->'money'->>'cost' IS NOT NULL AND seats > 0
), done AS (
    SELECT c.user_id AS rep_id, p.slug,
           date_trunc('month', max(c.completed_at) AT TIME ZONE 'UTC')::date AS m
    FROM training_completion c JOIN ref_rep r ON r.id = c.user_id
    JOIN training_programcourse pc ON pc.course_id = c.course_id
    JOIN training_program p ON p.id = pc.program_id
    GROUP BY c.user_id, p.id, p.slug
    HAVING count(DISTINCT c.course_id) = (SELECT count(*) FROM training_programcourse x
                                          WHERE x.program_id = p.id)
), coaching AS (
    SELECT s.rep_id, date_trunc('month', s.start AT TIME ZONE 'UTC')::date AS m,
           sum(extract(epoch FROM s."end" - s.start) / 3600.0)
               * (SELECT rep_hourly_cost + coach_hourly_cost FROM roi_roisettings
                  WHERE id = 1)::float8 AS spend
    FROM coaching_coachingsession s JOIN ref_rep r ON r.id = s.rep_id, ref_window w
    WHERE s.status = 'completed'
      AND s.start >= w.first_day::timestamp AT TIME ZONE 'UTC'
      AND s.start < w.end_day::timestamp AT TIME ZONE 'UTC'
    GROUP BY s.rep_id, m
)
SELECT rep_id, m, sum(spend) AS spend FROM (
    SELECT d.rep_id, d.m, ps.cost AS spend FROM done d JOIN per_seat ps ON ps.slug = d.slug
    UNION ALL
    SELECT rep_id, m, spend FROM coaching
) u GROUP BY rep_id, m;

-- Everything per rep and month. Bookings: a won deal without a rate counts at the average
-- converted win of the rep that month, else of the rep over the window, else of everyone.
CREATE TEMP TABLE ref_base AS
WITH rep_avg AS (
    SELECT rep_id, sum(won_value) / nullif(sum(won - won_unknown), 0) AS avg_win
    FROM ref_closed GROUP BY rep_id
), all_avg AS (
    SELECT sum(won_value) / nullif(sum(won - won_unknown), 0) AS avg_win FROM ref_closed
)
SELECT rm.rep_id, rm.team_id, rm.m, rm.active::int AS active,
       CASE WHEN rm.active THEN coalesce(t.spend, 0) ELSE 0 END::float8 AS tool,
       CASE WHEN rm.active THEN coalesce(e.spend, 0) ELSE 0 END::float8 AS enable,
       CASE WHEN rm.active THEN coalesce(c.won_value, 0) + coalesce(c.won_unknown, 0)
            * coalesce(c.won_value / nullif(c.won - c.won_unknown, 0), ra.avg_win, aa.avg_win, 0)
            ELSE 0 END::float8 AS bookings,
       CASE WHEN rm.active THEN coalesce(c.won, 0) ELSE 0 END::float8 AS won,
       CASE WHEN rm.active THEN coalesce(c.lost, 0) ELSE 0 END::float8 AS lost,
       CASE WHEN rm.active THEN coalesce(c.cycle, 0) ELSE 0 END::float8 AS cycle,
       CASE WHEN rm.active THEN coalesce(s.due, 0) ELSE 0 END::float8 AS due,
       CASE WHEN rm.active THEN coalesce(s.missed, 0) ELSE 0 END::float8 AS slipped,
       CASE WHEN rm.active THEN coalesce(g.meetings, 0) ELSE 0 END::float8 AS meetings,
       CASE WHEN rm.active THEN coalesce(g.on_deals, 0) ELSE 0 END::float8 AS on_deals,
       CASE WHEN rm.active THEN coalesce(g.advanced, 0) ELSE 0 END::float8 AS advanced
FROM ref_rm rm
LEFT JOIN ref_tool t ON t.rep_id = rm.rep_id AND t.m = rm.m
LEFT JOIN ref_enable e ON e.rep_id = rm.rep_id AND e.m = rm.m
LEFT JOIN ref_closed c ON c.rep_id = rm.rep_id AND c.m = rm.m
LEFT JOIN ref_slip s ON s.rep_id = rm.rep_id AND s.m = rm.m
LEFT JOIN ref_meeting g ON g.rep_id = rm.rep_id AND g.m = rm.m
LEFT JOIN rep_avg ra ON ra.rep_id = rm.rep_id
CROSS JOIN all_avg aa;
"""

# Rows: every team, the total, and every month with a rep observed.
_ROWS = """
WITH keyed AS (
    SELECT k.key, b.* FROM ref_base b,
    LATERAL (VALUES ('team-' || b.team_id), ('total'), (to_char(b.m, 'YYYY-MM'))) AS k(key)
), per_rep AS (
    SELECT key, rep_id, sum(active) AS active, sum(tool) AS tool, sum(enable) AS enable,
           sum(bookings) AS bookings, sum(won) AS won, sum(lost) AS lost, sum(cycle) AS cycle,
           sum(due) AS due, sum(slipped) AS slipped, sum(meetings) AS meetings,
           sum(on_deals) AS on_deals, sum(advanced) AS advanced
    FROM keyed GROUP BY key, rep_id
)
SELECT key, count(*) FILTER (WHERE active > 0) AS reps, sum(active) AS rep_months,
       sum(tool) / nullif(sum(active), 0) AS tool_spend,
       sum(enable) / nullif(sum(active), 0) AS enablement_spend
FROM per_rep GROUP BY key
UNION ALL
SELECT 'team-' || t.id, 0, 0, NULL, NULL FROM accounts_team t
WHERE NOT EXISTS (SELECT 1 FROM ref_base b WHERE b.team_id = t.id)
"""

# Per row and outcome: the ratio of sums over the reps with a denominator, their number, and
# the sum of squared residuals and mean denominator for the delta-method interval.
_FIGURES = """
WITH keyed AS (
    SELECT k.key, b.* FROM ref_base b,
    LATERAL (VALUES ('team-' || b.team_id), ('total'), (to_char(b.m, 'YYYY-MM'))) AS k(key)
), per_rep AS (
    SELECT key, rep_id, sum(active) AS active, sum(bookings) AS bookings, sum(won) AS won,
           sum(lost) AS lost, sum(cycle) AS cycle, sum(due) AS due, sum(slipped) AS slipped,
           sum(meetings) AS meetings, sum(on_deals) AS on_deals, sum(advanced) AS advanced
    FROM keyed GROUP BY key, rep_id
), pairs AS (
    SELECT p.key, f.outcome, f.y, f.x FROM per_rep p,
    LATERAL (VALUES ('bookings_per_rep_month', p.bookings, p.active),
                    ('win_rate', p.won, p.won + p.lost),
                    ('cycle_days', p.cycle, p.won),
                    ('slip_rate', p.slipped, p.due),
                    ('meetings_per_rep_month', p.meetings, p.active),
                    ('meeting_advance_rate', p.advanced, p.on_deals)) AS f(outcome, y, x)
    WHERE f.x > 0
), ratio AS (
    SELECT key, outcome, sum(y) / sum(x) AS r, count(*) AS n, avg(x) AS mean_x
    FROM pairs GROUP BY key, outcome
)
SELECT r.key, r.outcome, r.r, r.n, r.mean_x, sum((p.y - r.r * p.x) ^ 2) AS ss
FROM ratio r JOIN pairs p ON p.key = r.key AND p.outcome = r.outcome
GROUP BY r.key, r.outcome, r.r, r.n, r.mean_x
"""

# Stage advances out of a stage in the window, days since the deal entered it (its previous
# stage change, else its creation), per owner's team and for everyone; a move made as the
# deal was lost is not an advance.
_STAGE_DAYS = """
WITH stage_change AS (
    -- Each stage change with the time of the one before it (strictly earlier).
    SELECT c.id, c.deal_id, c.old_value, c.changed_at, r.team_id, d.created_at,
           max(c.changed_at) OVER (PARTITION BY c.deal_id ORDER BY c.changed_at
               RANGE BETWEEN UNBOUNDED PRECEDING AND '1 microsecond'::interval PRECEDING)
               AS previous_at
    FROM deals_dealchange c JOIN deals_deal d ON d.id = c.deal_id
    JOIN ref_rep r ON r.id = d.owner_id
    WHERE c.field = 'stage'
), advance AS (
    SELECT c.team_id,
           greatest((c.changed_at AT TIME ZONE 'UTC')::date
                    - (coalesce(c.previous_at, c.created_at) AT TIME ZONE 'UTC')::date, 0)
               AS days
    FROM stage_change c, ref_window w
    WHERE c.old_value <> ''
      AND c.changed_at >= w.first_day::timestamp AT TIME ZONE 'UTC'
      AND c.changed_at < w.end_day::timestamp AT TIME ZONE 'UTC'
      AND NOT EXISTS (SELECT 1 FROM deals_dealchange l
                      WHERE l.deal_id = c.deal_id AND l.field = 'status'
                        AND l.new_value = 'lost' AND l.changed_at = c.changed_at)
)
SELECT 'team-' || team_id, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY days),
       array_agg(days ORDER BY days)
FROM advance GROUP BY team_id
UNION ALL
SELECT 'total', count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY days),
       array_agg(days ORDER BY days)
FROM advance
"""

_TABLE = re.compile(r"CREATE TEMP TABLE (ref_\w+)")
_PERCENT = ("win_rate", "slip_rate", "meeting_advance_rate")
_OUTCOMES = (
    "bookings_per_rep_month",
    "win_rate",
    "cycle_days",
    "slip_rate",
    "meetings_per_rep_month",
    "meeting_advance_rate",
    "stage_advance_days",
)


def _ratio(r: float, n: int, mean_x: float, ss: float, *, percent: bool) -> dict[str, Any]:
    """Value and 95% interval of a ratio of sums over n reps (delta method, Student's t with
    n - 1 degrees of freedom; no interval under 3 reps); percentages bounded to 0-100."""
    scale = 100.0 if percent else 1.0
    if n < 3:
        return {"value": r * scale, "low": None, "high": None, "n": n}
    se = math.sqrt(ss / (n * (n - 1))) / mean_x
    t = float(stats.t.ppf(0.975, n - 1))
    low, high = (r - t * se) * scale, (r + t * se) * scale
    if percent:
        low, high = max(low, 0.0), min(high, 100.0)
    return {"value": r * scale, "low": low, "high": high, "n": n}


def _median(n: int, median: float, days: list[int]) -> dict[str, Any]:
    """Median days with the order-statistic interval: the largest j with
    P(Binomial(n, 1/2) < j) <= 2.5%, [x(j), x(n - j + 1)]; none under 6 stays."""
    if n < 6:
        return {"value": median, "low": None, "high": None, "n": n}
    j = max(int(stats.binom.ppf(0.025, n, 0.5)), 1)
    return {"value": median, "low": float(days[j - 1]), "high": float(days[n - j]), "n": n}


def reference_rows(url: str, *, months: int) -> dict[str, dict[str, Any]]:
    """{row key: {reps, rep_months, tool_spend, enablement_spend, outcomes: {name: figure}}}
    for a leader (every team), over the last `months` covered months."""
    none = {"value": None, "low": None, "high": None, "n": 0}
    with psycopg.connect(url) as conn:
        conn.execute("SET jit = off")
        conn.execute("SET TIME ZONE 'UTC'")
        for statement in _BASE.split(";\n\n"):
            conn.execute(statement.strip().rstrip(";"), {"months": months})
            # Temporary tables are never analysed by autovacuum: give the planner their sizes.
            conn.execute(f"ANALYZE {_TABLE.search(statement)[1]}")  # type: ignore[index]
        rows: dict[str, dict[str, Any]] = {}
        for key, reps, rep_months, tool, enable in conn.execute(_ROWS):
            if key[0].isdigit() and not rep_months:
                continue  # a month with nobody observed is not a row
            rows[key] = {
                "reps": int(reps),
                "rep_months": int(rep_months),
                "tool_spend": float(tool) if tool is not None else None,
                "enablement_spend": float(enable) if enable is not None else None,
                "outcomes": {name: dict(none) for name in _OUTCOMES},
            }
        for key, outcome, r, n, mean_x, ss in conn.execute(_FIGURES):
            if key in rows:
                rows[key]["outcomes"][outcome] = _ratio(
                    float(r), int(n), float(mean_x), float(ss), percent=outcome in _PERCENT
                )
        for key, n, median, days in conn.execute(_STAGE_DAYS):
            if key in rows and n:
                rows[key]["outcomes"]["stage_advance_days"] = _median(int(n), float(median), days)
        conn.rollback()
    return rows
