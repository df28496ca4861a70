"""A fake HubSpot CRM v3 API on loopback: deals search (filterGroups on hs_lastmodifieddate,
sorted, `after` paging, the 10,000-result cap), single deals, deal pipelines and owners, bearer
auth, rate-limit headers; failures on demand through `fail_next`.

Shapes follow HubSpot's documentation; values are strings as HubSpot sends them.
"""

import datetime as dt
import itertools
import re
from typing import Any

from tests.fakes.server import FakeServer, Reply, Request

SEARCH_CAP = 10_000

PIPELINES = [
    {
        "id": "default",
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "stages": [
            {
                "id": "appointmentscheduled",
                "label": "Appointment Scheduled",
                "displayOrder": 0,
                "metadata": {"isClosed": "false", "probability": "0.2"},
            },
            {
                "id": "qualifiedtobuy",
                "label": "Qualified To Buy",
                "displayOrder": 1,
                "metadata": {"isClosed": "false", "probability": "0.4"},
            },
            {
                "id": "contractsent",
                "label": "Contract Sent",
                "displayOrder": 2,
                "metadata": {"isClosed": "false", "probability": "0.8"},
            },
            {
                "id": "closedwon",
                "label": "Closed Won",
                "displayOrder": 3,
                "metadata": {"isClosed": "true", "probability": "1.0"},
            },
            {
                "id": "closedlost",
                "label": "Closed Lost",
                "displayOrder": 4,
                "metadata": {"isClosed": "true", "probability": "0.0"},
            },
        ],
    }
]

STAGE_MAP = {
    "appointmentscheduled": {"status": "open", "order": 0, "label": "Appointment Scheduled"},
    "qualifiedtobuy": {"status": "open", "order": 1, "label": "Qualified To Buy"},
    "contractsent": {"status": "open", "order": 2, "label": "Contract Sent"},
    "closedwon": {"status": "won", "order": 3, "label": "Closed Won"},
    "closedlost": {"status": "lost", "order": 4, "label": "Closed Lost"},
}


def hs_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{value.microsecond // 1000:03d}Z"
    )


def _millis(value: str) -> int:
    return int(dt.datetime.fromisoformat(value).timestamp() * 1000)


class FakeHubSpot(FakeServer):
    def __init__(self, *, token: str = "pat-na1-test-token") -> None:  # noqa: S107
        super().__init__()
        self.token = token
        self.deals: dict[str, dict[str, Any]] = {}
        # Engagements by object type (meetings, calls, emails), and their deal associations.
        self.engagements: dict[str, dict[str, dict[str, Any]]] = {
            "meetings": {},
            "calls": {},
            "emails": {},
        }
        self.engagement_deals: dict[str, str] = {}
        self.owners: list[dict[str, Any]] = []
        self.pipelines = PIPELINES
        self.rate_limit_headers: dict[str, str] = {}
        self._ids = itertools.count(9_000_001)
        self.clock = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)

    # Test data ------------------------------------------------------------------------------
    def tick(self, seconds: float = 1) -> dt.datetime:
        self.clock += dt.timedelta(seconds=seconds)
        return self.clock

    def add_owner(
        self, owner_id: str, email: str, first: str = "Sam", last: str = "Seller"
    ) -> None:
        self.owners.append(
            {
                "id": owner_id,
                "email": email,
                "firstName": first,
                "lastName": last,
                "userId": int(owner_id) + 1,
                "createdAt": hs_time(self.clock),
                "updatedAt": hs_time(self.clock),
                "archived": False,
            }
        )

    def add_deal(self, *, modified: dt.datetime | None = None, **properties: Any) -> str:
        deal_id = str(properties.pop("id", None) or next(self._ids))
        when = modified or self.tick()
        props = {
            "dealname": f"Deal {deal_id}",
            "amount": "1000",
            "deal_currency_code": "USD",
            "dealstage": "appointmentscheduled",
            "pipeline": "default",
            "createdate": hs_time(when - dt.timedelta(days=30)),
            "closedate": hs_time(when + dt.timedelta(days=30)),
            "hubspot_owner_id": "101",
            "closed_lost_reason": None,
            **{k: (None if v is None else str(v)) for k, v in properties.items()},
            "hs_object_id": deal_id,
            "hs_lastmodifieddate": hs_time(when),
        }
        self.deals[deal_id] = {
            "id": deal_id,
            "properties": props,
            "createdAt": props["createdate"],
            "updatedAt": props["hs_lastmodifieddate"],
            "archived": False,
        }
        return deal_id

    def add_engagement(
        self,
        object_type: str,
        *,
        modified: dt.datetime | None = None,
        deal_id: str | None = None,
        **properties: Any,
    ) -> str:
        """A meeting, call or email; ids come from the same sequence as deals (as HubSpot's)."""
        engagement_id = str(properties.pop("id", None) or next(self._ids))
        when = modified or self.tick()
        props = {
            "hs_timestamp": hs_time(when - dt.timedelta(hours=1)),
            "hubspot_owner_id": "101",
            **{k: (None if v is None else str(v)) for k, v in properties.items()},
            "hs_object_id": engagement_id,
            "hs_lastmodifieddate": hs_time(when),
        }
        self.engagements[object_type][engagement_id] = {
            "id": engagement_id,
            "properties": props,
            "createdAt": props["hs_timestamp"],
            "updatedAt": props["hs_lastmodifieddate"],
            "archived": False,
        }
        if deal_id is not None:
            self.engagement_deals[engagement_id] = deal_id
        return engagement_id

    def update_deal(
        self, deal_id: str, *, modified: dt.datetime | None = None, **changes: Any
    ) -> None:
        when = modified or self.tick()
        deal = self.deals[deal_id]
        deal["properties"].update({k: (None if v is None else str(v)) for k, v in changes.items()})
        deal["properties"]["hs_lastmodifieddate"] = hs_time(when)
        deal["updatedAt"] = hs_time(when)

    # HTTP -----------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401,
                {
                    "status": "error",
                    "message": "Authentication credentials not found.",
                    "category": "INVALID_AUTHENTICATION",
                    "correlationId": "fake-401",
                },
            )
        reply = self._route(request)
        reply.headers = {**self.rate_limit_headers, **reply.headers}
        return reply

    def _route(self, request: Request) -> Reply:
        path = request.path
        if request.method == "POST" and path == "/crm/v3/objects/deals/search":
            return self._search(request.json() or {}, self.deals)
        search = re.fullmatch(r"/crm/v3/objects/(meetings|calls|emails)/search", path)
        if request.method == "POST" and search:
            return self._search(request.json() or {}, self.engagements[search.group(1)])
        assoc = re.fullmatch(r"/crm/v4/associations/(meetings|calls|emails)/deals/batch/read", path)
        if request.method == "POST" and assoc:
            return self._associations((request.json() or {}).get("inputs") or [])
        if request.method == "GET" and path.startswith("/crm/v3/objects/deals/"):
            return self._get_deal(path.rsplit("/", 1)[1], request)
        if request.method == "GET" and path == "/crm/v3/pipelines/deals":
            return Reply(200, {"results": self.pipelines})
        if request.method == "GET" and path == "/crm/v3/owners":
            start = int(request.arg("after") or 0)
            limit = int(request.arg("limit") or 100)
            page = self.owners[start : start + limit]
            body: dict[str, Any] = {"results": page}
            if start + limit < len(self.owners):
                body["paging"] = {"next": {"after": str(start + limit)}}
            return Reply(200, body)
        return Reply(404, {"status": "error", "message": f"No route {path}"})

    def _project(self, deal: dict[str, Any], properties: list[str]) -> dict[str, Any]:
        props = deal["properties"]
        wanted = {"hs_object_id", "createdate", "hs_lastmodifieddate", *properties}
        return {
            "id": deal["id"],
            "properties": {name: props.get(name) for name in wanted},
            "createdAt": deal["createdAt"],
            "updatedAt": deal["updatedAt"],
            "archived": False,
        }

    def _matches(self, deal: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
        for flt in filters:
            if flt["propertyName"] != "hs_lastmodifieddate":
                raise ValueError(f"fake search filters only hs_lastmodifieddate, not {flt}")
            have = _millis(deal["properties"]["hs_lastmodifieddate"])
            want = int(flt["value"])
            ok = {
                "GTE": have >= want,
                "GT": have > want,
                "LTE": have <= want,
                "LT": have < want,
                "EQ": have == want,
            }[flt["operator"]]
            if not ok:
                return False
        return True

    def _associations(self, inputs: list[dict[str, Any]]) -> Reply:
        results = []
        for item in inputs:
            deal_id = self.engagement_deals.get(str(item.get("id")))
            if deal_id is not None:
                results.append(
                    {
                        "from": {"id": str(item["id"])},
                        "to": [
                            {
                                "toObjectId": int(deal_id),
                                "associationTypes": [
                                    {"category": "HUBSPOT_DEFINED", "typeId": 212, "label": None}
                                ],
                            }
                        ],
                    }
                )
        return Reply(200, {"status": "COMPLETE", "results": results})

    def _search(self, body: dict[str, Any], objects: dict[str, dict[str, Any]]) -> Reply:
        groups = body.get("filterGroups") or []
        deals = [
            d
            for d in objects.values()
            if not groups or any(self._matches(d, g.get("filters", [])) for g in groups)
        ]
        deals.sort(key=lambda d: (_millis(d["properties"]["hs_lastmodifieddate"]), int(d["id"])))
        after = int(body.get("after") or 0)
        limit = min(int(body.get("limit") or 10), 200)
        if after + limit > SEARCH_CAP:
            return Reply(
                400,
                {
                    "status": "error",
                    "message": "Search results are limited to 10,000 per query.",
                    "category": "VALIDATION_ERROR",
                },
            )
        page = deals[after : after + limit]
        result: dict[str, Any] = {
            "total": len(deals),
            "results": [self._project(d, body.get("properties") or []) for d in page],
        }
        if after + limit < len(deals):
            result["paging"] = {"next": {"after": str(after + limit), "link": "?after=x"}}
        return Reply(200, result)

    def _get_deal(self, deal_id: str, request: Request) -> Reply:
        deal = self.deals.get(deal_id)
        if deal is None:
            return Reply(
                404,
                {
                    "status": "error",
                    "message": "Object not found.  objectId are usually numeric.",
                    "category": "OBJECT_NOT_FOUND",
                },
            )
        properties = (request.arg("properties") or "").split(",")
        return Reply(200, self._project(deal, [p for p in properties if p]))
