import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import Deal
from tests.deals.factories import DealChangeFactory, DealFactory, ExchangeRateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(cast):
    return {
        name: DealFactory(owner=cast[name], name=f"{name} deal")
        for name in ("rep", "rep_peer", "other_rep")
    }


def names_on(response):
    return {d.name for d in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("rep", {"rep deal"}),
        ("rep_peer", {"rep_peer deal"}),
        ("coach", {"rep deal", "rep_peer deal"}),
        ("manager", {"rep deal", "rep_peer deal"}),
        ("other_coach", {"other_rep deal"}),
        ("other_manager", {"other_rep deal"}),
        ("leader", {"rep deal", "rep_peer deal", "other_rep deal"}),
        ("admin", {"rep deal", "rep_peer deal", "other_rep deal"}),
    ],
)
def test_list_shows_each_person_what_they_may_see(pipeline, cast, client, who, expected):
    client.force_login(cast[who])

    response = client.get("/deals/")

    assert response.status_code == 200
    assert names_on(response) == expected


def test_list_needs_login(client):
    assert client.get("/deals/").status_code == 302


def test_list_filters_by_status_owner_and_search(cast, client):
    DealFactory(
        owner=cast.rep,
        name="Acme renewal",
        status="won",
        closed_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    )
    DealFactory(owner=cast.rep_peer, name="Globex pilot")
    client.force_login(cast.manager)

    assert names_on(client.get("/deals/?status=won")) == {"Acme renewal"}
    assert names_on(client.get(f"/deals/?owner={cast.rep_peer.pk}")) == {"Globex pilot"}
    assert names_on(client.get("/deals/?q=acme")) == {"Acme renewal"}


def test_list_filters_slipped_and_missing_qualification(cast, client):
    today = timezone.localdate()
    DealFactory(owner=cast.rep, name="Overdue", expected_close_date=today - dt.timedelta(days=3))
    pushed = DealFactory(
        owner=cast.rep, name="Pushed", expected_close_date=today + dt.timedelta(days=30)
    )
    DealChangeFactory(
        deal=pushed,
        field="expected_close_date",
        old_value=(today - dt.timedelta(days=10)).isoformat(),
        new_value=(today + dt.timedelta(days=30)).isoformat(),
    )
    DealFactory(
        owner=cast.rep,
        name="Fine",
        expected_close_date=today + dt.timedelta(days=30),
        has_economic_buyer=None,
    )
    client.force_login(cast.rep)

    assert names_on(client.get("/deals/?slipped=true")) == {"Overdue", "Pushed"}
    assert names_on(client.get("/deals/?slipped=false")) == {"Fine"}
    assert names_on(client.get("/deals/?lacking=buyer")) == {"Fine"}


def test_list_with_nothing_shows_an_empty_state(cast, client):
    client.force_login(cast.rep)

    response = client.get("/deals/")

    assert "No deals yet." in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_list_runs_a_constant_number_of_queries(cast, client, django_assert_num_queries, count):
    for _ in range(count):
        deal = DealFactory(owner=cast.rep)
        DealChangeFactory(deal=deal)
    client.force_login(cast.manager)

    # 1 session, 2 user, 3 count (bounded, decision 0008), 4 the page (owner joined; slip and
    # stage entry subqueries), 5 people for the owner filter.
    with django_assert_num_queries(5):
        response = client.get("/deals/")

    assert response.context["page"].paginator.count == count


def test_list_counts_only_up_to_the_limit_and_every_page_still_works(
    cast, client, monkeypatch, django_assert_num_queries
):
    """The HTML list counts as the API does (decision 0008): past the limit it says "more
    than", numbers pages without a total, and each page knows its next by one extra row."""
    monkeypatch.setattr("core.pagination.COUNT_LIMIT", 5)
    monkeypatch.setattr("deals.views.COUNT_LIMIT", 5)
    monkeypatch.setattr("deals.views.PAGE_SIZE", 5)
    for _ in range(12):
        DealFactory(owner=cast.rep)
    client.force_login(cast.manager)

    # 1 session, 2 user, 3 count (stops at 6 rows), 4 the page (one row more), 5 people.
    with django_assert_num_queries(5):
        first = client.get("/deals/").content.decode()
    with CaptureQueriesContext(connection) as captured:
        last = client.get("/deals/?page=3")

    assert "LIMIT 6" in captured.captured_queries[2]["sql"]
    assert "More than 5 deals" in first and ">Page 1<" in first and 'rel="next"' in first
    assert len(last.context["page"].object_list) == 2
    assert ">Page 3<" in last.content.decode() and 'rel="next"' not in last.content.decode()
    assert client.get("/deals/?page=x").context["page"].number == 1


def test_the_count_reads_neither_the_slip_nor_the_stage_subqueries_nor_the_order(cast, client):
    """The bounded count is on primary keys: the page's correlated subqueries (slip, stage
    entry) ran once per row in the count too, so the manager's list at 10x demo data served 14
    requests/s against 45 at 1x (bench/pages.py). A filter on them still counts right."""
    today = timezone.localdate()
    pushed = DealFactory(owner=cast.rep, status="open", expected_close_date=today)
    DealFactory(owner=cast.rep, expected_close_date=today + dt.timedelta(days=30))
    DealChangeFactory(
        deal=pushed,
        field="expected_close_date",
        old_value=str(today - dt.timedelta(days=30)),
        new_value=str(today),
    )
    client.force_login(cast.manager)

    statements: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        everyone = client.get("/deals/")
    slipped = client.get("/deals/?slipped=true")

    count_sql = next(sql for sql in statements if "COUNT(" in sql)
    assert "deals_dealchange" not in count_sql and "ORDER BY" not in count_sql
    assert everyone.context["page"].paginator.count == 2
    assert slipped.context["page"].paginator.count == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("rep", 200),
        ("rep_peer", 404),
        ("coach", 200),
        ("manager", 200),
        ("other_rep", 404),
        ("other_coach", 404),
        ("other_manager", 404),
        ("leader", 200),
        ("admin", 200),
    ],
)
def test_detail_permissions_over_the_cast(pipeline, cast, client, who, status):
    client.force_login(cast[who])

    assert client.get(f"/deals/{pipeline['rep'].pk}/").status_code == status


def test_detail_shows_history_stays_slip_and_home_currency(cast, client):
    deal = DealFactory(owner=cast.rep, name="Initech expansion", currency="EUR", amount=1000)
    ExchangeRateFactory(currency="EUR", rate="1.1", valid_from=dt.date(2020, 1, 1))
    DealChangeFactory(deal=deal, field="stage", new_value="Discovery")
    DealChangeFactory(
        deal=deal,
        field="stage",
        old_value="Discovery",
        new_value="Proposal",
        changed_at=dt.datetime(2025, 3, 11, tzinfo=dt.UTC),
    )
    DealChangeFactory(
        deal=deal,
        field="expected_close_date",
        old_value="2025-05-31",
        new_value="2025-06-30",
        changed_at=dt.datetime(2025, 5, 30, tzinfo=dt.UTC),
    )
    client.force_login(cast.rep)

    response = client.get(f"/deals/{deal.pk}/")

    body = response.content.decode()
    assert response.context["is_slipped"] is True
    assert [(s.stage, days) for s, days in response.context["stays"]][0] == ("Discovery", 10)
    assert "pushed" in body
    assert response.context["home_amount"] == 1100
    assert "Initech expansion" in body


def test_detail_derives_the_first_values_of_an_ingested_deal_from_the_deal_row(cast, client):
    # Ingestion stores no row for a deal's first values (see DealChange).
    created = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)
    deal = DealFactory(owner=cast.rep, stage="Proposal", amount=1000, created_at=created)
    DealChangeFactory(
        deal=deal,
        field="stage",
        old_value="Discovery",
        new_value="Proposal",
        changed_at=dt.datetime(2025, 3, 11, tzinfo=dt.UTC),
    )
    client.force_login(cast.rep)

    response = client.get(f"/deals/{deal.pk}/")

    stays = [(s.stage, s.entered_at, days) for s, days in response.context["stays"]][:1]
    assert stays == [("Discovery", created, 60)]
    first_at, first = response.context["timeline"][-1]
    assert first_at == created
    assert [(c.field, c.old_value, c.new_value) for c in first] == [
        ("stage", "", "Discovery"),
        ("status", "", "open"),
        ("amount", "", "1000.00"),
        ("expected_close_date", "", "2025-06-30"),
    ]


def test_detail_of_a_missing_deal_is_404(cast, client):
    client.force_login(cast.admin)

    assert client.get("/deals/999999/").status_code == 404


# --- hygiene -------------------------------------------------------------------------------


def _stage_history(deal, stays_days, entered):
    """Finished stays of `stays_days` days each, then the current stage since `entered`."""
    at = entered - dt.timedelta(days=sum(stays_days))
    stage = ""
    for i, days in enumerate([*stays_days, None]):
        new = f"S{i}"
        DealChangeFactory(deal=deal, field="stage", old_value=stage, new_value=new, changed_at=at)
        stage = new
        if days is not None:
            at += dt.timedelta(days=days)


def test_hygiene_lists_missing_facts_slips_and_stuck_deals(cast, client):
    today = timezone.localdate()
    now = timezone.now()
    # Team history: five finished stays of 10 days in S0 make the usual time 10 days.
    for _ in range(5):
        done = DealFactory(owner=cast.rep_peer, status="won", closed_at=now, stage="S1")
        _stage_history(done, [10], now - dt.timedelta(days=1))
    stuck = DealFactory(owner=cast.rep, name="Stuck", stage="S0", expected_close_date=today)
    DealChangeFactory(deal=stuck, new_value="S0", changed_at=now - dt.timedelta(days=40))
    DealFactory(
        owner=cast.rep, name="No buyer", has_economic_buyer=False, expected_close_date=today
    )
    DealFactory(owner=cast.rep, name="Late", expected_close_date=today - dt.timedelta(days=1))
    DealFactory(owner=cast.other_rep, name="Other team", has_economic_buyer=False)
    client.force_login(cast.manager)

    report = client.get("/deals/hygiene/").context["report"]

    assert [a.deal.name for a in report.missing_facts] == ["No buyer"]
    assert [a.deal.name for a in report.slipped] == ["Late"]
    assert [(a.deal.name, a.days_in_stage, a.usual_days_in_stage) for a in report.stuck] == [
        ("Stuck", 40, 10)
    ]
    assert report.open_count == 3


def test_hygiene_counts_the_stay_in_the_stage_a_deal_was_created_in(cast, client):
    # New-style history: no row for the first stage; the first change names it as old value.
    now = timezone.now()
    for _ in range(5):
        done = DealFactory(
            owner=cast.rep_peer,
            status="won",
            closed_at=now,
            stage="S1",
            created_at=now - dt.timedelta(days=12),
        )
        DealChangeFactory(
            deal=done, old_value="S0", new_value="S1", changed_at=now - dt.timedelta(days=2)
        )
    stuck = DealFactory(
        owner=cast.rep,
        name="Stuck",
        stage="S0",
        created_at=now - dt.timedelta(days=40),
        expected_close_date=timezone.localdate(),
    )
    client.force_login(cast.manager)

    report = client.get("/deals/hygiene/").context["report"]

    assert [(a.deal.name, a.days_in_stage, a.usual_days_in_stage) for a in report.stuck] == [
        ("Stuck", 40, 10)
    ]
    assert stuck.changes.count() == 0


def test_hygiene_figure_is_descriptive_share_of_slipped_deals_lacking_facts(cast, client):
    today = timezone.localdate()
    recent = timezone.now() - dt.timedelta(days=60)
    for lacking in (True, True, False):
        DealFactory(
            owner=cast.rep,
            created_at=recent,
            expected_close_date=today - dt.timedelta(days=5),
            has_compelling_deadline=not lacking,
        )
    DealFactory(owner=cast.rep, created_at=recent, expected_close_date=today, has_metrics=True)
    client.force_login(cast.rep)

    response = client.get("/deals/hygiene/")

    figure = response.context["report"].figure
    assert (figure.slipped, figure.slipped_lacking, figure.not_slipped) == (3, 2, 1)
    assert figure.slipped_percent == 67
    body = response.content.decode()
    assert "Descriptive" in body
    assert "access: 67%" in body


def test_hygiene_team_filter_for_leaders(cast, client):
    DealFactory(owner=cast.rep, has_economic_buyer=False)
    DealFactory(owner=cast.other_rep, has_economic_buyer=False)
    client.force_login(cast.leader)
    team_b = cast.other_rep.team

    report = client.get(f"/deals/hygiene/?team={team_b.pk}").context["report"]

    assert [a.deal.owner for a in report.missing_facts] == [cast.other_rep]


@pytest.mark.parametrize("count", [2, 20])
def test_hygiene_runs_a_constant_number_of_queries(cast, client, django_assert_num_queries, count):
    for _ in range(count):
        deal = DealFactory(owner=cast.rep, has_economic_buyer=False)
        DealChangeFactory(deal=deal)
    client.force_login(cast.manager)

    # 1 session, 2 user, 3 the manager's teams, 4 open deals with owners (slip and stage-entry
    # subqueries), 5 stage stays of their teams, 6 the descriptive figure (one aggregate).
    with django_assert_num_queries(6):
        response = client.get("/deals/hygiene/")

    assert response.context["report"].open_count == count


def test_at_risk_deals_for_a_rep_most_reasons_first(cast):
    from deals.selectors import deal_list_at_risk_for_rep

    today = timezone.localdate()
    DealFactory(owner=cast.rep, name="Fine", expected_close_date=today)
    DealFactory(
        owner=cast.rep,
        name="Two",
        has_economic_buyer=False,
        expected_close_date=today - dt.timedelta(days=1),
    )
    DealFactory(owner=cast.rep, name="One", has_compelling_deadline=None, expected_close_date=today)
    DealFactory(
        owner=cast.rep,
        name="Closed",
        status="lost",
        closed_at=timezone.now(),
        has_economic_buyer=False,
    )

    at_risk = deal_list_at_risk_for_rep(rep=cast.rep, today=today)

    assert [(a.deal.name, a.reasons) for a in at_risk] == [
        ("Two", ["no_economic_buyer", "close_date_passed"]),
        ("One", ["no_compelling_deadline"]),
    ]


def test_pipeline_counts(cast):
    from deals.selectors import deal_pipeline_counts

    today = timezone.localdate()
    DealFactory(owner=cast.rep, expected_close_date=today - dt.timedelta(days=1))
    DealFactory(owner=cast.rep, has_compelling_deadline=False, expected_close_date=today)
    DealFactory(owner=cast.other_rep)

    counts = deal_pipeline_counts(principal=cast.manager, today=today)

    assert (counts.open, counts.slipped, counts.lacking) == (2, 1, 1)
    assert Deal.objects.count() == 3


@pytest.mark.parametrize(
    ("who", "title", "figure"),
    [("rep", "Your pipeline", "2"), ("coach", "Your coachees&#x27; pipeline", "3")],
)
def test_home_shows_the_pipeline_panel(cast, client, who, title, figure):
    today = timezone.localdate()
    DealFactory(owner=cast.rep, expected_close_date=today - dt.timedelta(days=1))
    DealFactory(owner=cast.rep, has_compelling_deadline=False, expected_close_date=today)
    DealFactory(owner=cast.rep_peer, expected_close_date=today)
    client.force_login(cast[who])

    body = client.get("/").content.decode()

    assert title in body
    assert f'<p class="figure">{figure}</p>' in body
    assert "/deals/hygiene/" in body


def test_home_has_no_pipeline_panel_without_open_deals(cast, client):
    client.force_login(cast.rep)

    assert "Your pipeline" not in client.get("/").content.decode()
