"""A fake Salesforce on loopback: OAuth 2.0 token endpoint (client credentials and JWT bearer,
the assertion's RS256 signature checked), the REST query API with server-side cursors
(`nextRecordsUrl`, 2,000 records a page), Opportunity with its OpportunityFieldHistory through
the `Histories` relationship subquery (child rows paged too), OpportunityStage and User,
`Sforce-Limit-Info` on every answer; expired sessions, 429s and 5xx on demand.

It understands exactly the SOQL the adapter sends (parsed with regular expressions), and
rejects unknown fields the way Salesforce does (INVALID_FIELD).
"""

import base64
import datetime as dt
import itertools
import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.server import FakeServer, Reply, Request

BATCH = 2000
CHILD_BATCH = 200  # child rows of one parent per answer; the rest via their nextRecordsUrl
API_VERSION = "v61.0"
OPPORTUNITY_FIELDS = {
    "Id",
    "OwnerId",
    "Name",
    "Amount",
    "CurrencyIsoCode",
    "StageName",
    "IsClosed",
    "IsWon",
    "CreatedDate",
    "CloseDate",
    "LastModifiedDate",
    "AccountId",
    # Custom fields of this fake org, for the field map.
    "Compelling_Event__c",
    "Economic_Buyer_Identified__c",
    "Champion__c",
    "Loss_Reason__c",
}
STAGES = [
    ("Prospecting", "Prospecting", False, False, 1),
    ("Qualification", "Qualification", False, False, 2),
    ("Proposal/Price Quote", "Proposal/Price Quote", False, False, 3),
    ("Negotiation/Review", "Negotiation/Review", False, False, 4),
    ("Closed Won", "Closed Won", True, True, 5),
    ("Closed Lost", "Closed Lost", True, False, 6),
]
STAGE_MAP = {
    api: {
        "status": ("won" if won else "lost") if closed else "open",
        "order": order,
        "label": label,
    }
    for api, label, closed, won, order in STAGES
}


def sf_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sf_id(prefix: str, number: int) -> str:
    return f"{prefix}{number:015d}"[:18].ljust(18, "A")


class FakeSalesforce(FakeServer):
    def __init__(
        self,
        *,
        client_id: str = "3MVG9fake.consumer.key",
        client_secret: str = "fake-consumer-secret",  # noqa: S107
        username: str = "integration@example.com",
        api_limit: int = 1_000_000,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.jwt_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.tokens: set[str] = set()
        self.tokens_issued = 0
        self.api_used = 0
        self.api_limit = api_limit
        self.opportunities: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.users: list[dict[str, Any]] = []
        self.accounts: dict[str, str] = {}
        # Activities: Event (meetings) and Task (calls, emails, to-dos), by Id.
        self.activities: dict[str, dict[str, dict[str, Any]]] = {"Event": {}, "Task": {}}
        self._cursors: dict[str, tuple[list[dict[str, Any]], Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.clock = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)

    # Test data ------------------------------------------------------------------------------
    def tick(self, seconds: float = 1) -> dt.datetime:
        self.clock += dt.timedelta(seconds=seconds)
        return self.clock

    def expire_sessions(self) -> None:
        self.tokens.clear()

    def add_user(self, user_id: str, email: str, name: str = "Sam Seller") -> None:
        self.users.append({"Id": user_id, "Email": email, "Name": name})

    def add_opportunity(
        self,
        *,
        modified: dt.datetime | None = None,
        account: str | None = "Acme Corp",
        history: bool = True,
        **fields: Any,
    ) -> str:
        number = next(self._ids)
        opp_id = str(fields.pop("Id", None) or sf_id("006", number))
        when = modified or self.tick()
        created = fields.pop("CreatedDate", None) or when - dt.timedelta(days=20)
        stage = fields.get("StageName", "Prospecting")
        closed, won = (
            STAGE_MAP.get(stage, {}).get("status", "open") != "open",
            (STAGE_MAP.get(stage, {}).get("status") == "won"),
        )
        account_id = None
        if account is not None:
            account_id = sf_id("001", abs(hash(account)) % 10**9)
            self.accounts[account_id] = account
        record = {
            "Id": opp_id,
            "OwnerId": "005000000000001AAA",
            "Name": f"Opportunity {number}",
            "Amount": 5000.0,
            "CurrencyIsoCode": "EUR",
            "StageName": stage,
            "IsClosed": closed,
            "IsWon": won,
            "CreatedDate": sf_time(created),
            "CloseDate": (when + dt.timedelta(days=30)).date().isoformat(),
            "AccountId": account_id,
            "Compelling_Event__c": None,
            "Economic_Buyer_Identified__c": False,
            "Champion__c": None,
            "Loss_Reason__c": None,
            **fields,
            "LastModifiedDate": sf_time(when),
        }
        self.opportunities[opp_id] = record
        if history:
            self.add_history(opp_id, "StageName", None, stage, at=created)
            self.add_history(opp_id, "Amount", None, record["Amount"], at=created)
        return opp_id

    def add_activity(
        self, sobject: str, *, modified: dt.datetime | None = None, **fields: Any
    ) -> str:
        """An Event or Task; WhatId links it to an opportunity (or another record)."""
        prefix = "00U" if sobject == "Event" else "00T"
        activity_id = str(fields.pop("Id", None) or sf_id(prefix, next(self._ids)))
        when = modified or self.tick()
        self.activities[sobject][activity_id] = {
            "Id": activity_id,
            "OwnerId": "005000000000001AAA",
            "WhatId": None,
            **fields,
            "LastModifiedDate": sf_time(when),
        }
        return activity_id

    def add_history(self, opp_id: str, field: str, old: Any, new: Any, *, at: dt.datetime) -> None:
        self.history.setdefault(opp_id, []).append(
            {
                "Id": sf_id("008", next(self._ids)),
                "OpportunityId": opp_id,
                "Field": field,
                "OldValue": old,
                "NewValue": new,
                "CreatedDate": sf_time(at),
            }
        )

    def update_opportunity(
        self, opp_id: str, *, modified: dt.datetime | None = None, **changes: Any
    ) -> None:
        when = modified or self.tick()
        record = self.opportunities[opp_id]
        for field in ("StageName", "Amount", "CloseDate"):
            if field in changes and changes[field] != record[field]:
                self.add_history(opp_id, field, record[field], changes[field], at=when)
        record.update(changes)
        if "StageName" in changes:
            status = STAGE_MAP.get(changes["StageName"], {}).get("status", "open")
            record["IsClosed"], record["IsWon"] = status != "open", status == "won"
        record["LastModifiedDate"] = sf_time(when)

    def seed(
        self, count: int, *, start: dt.datetime, owners: list[str], step_seconds: int = 1
    ) -> None:
        """Many opportunities fast (the benchmark): one per second from `start`."""
        stages = list(STAGE_MAP)
        for n in range(count):
            when = start + dt.timedelta(seconds=n * step_seconds)
            stage = stages[n % len(stages)]
            self.add_opportunity(
                modified=when,
                StageName=stage,
                OwnerId=owners[n % len(owners)],
                Amount=float(1000 + (n % 97) * 250),
                Name=f"Opportunity {n}",
                account=f"Account {n % 500}",
                history=False,
            )

    # HTTP -----------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == "/services/oauth2/token":
            return self._token(request)
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return Reply(
                401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
            )
        with self._lock:
            self.api_used += 1
            used = self.api_used
        headers = {"Sforce-Limit-Info": f"api-usage={used}/{self.api_limit}"}
        if used > self.api_limit:
            return Reply(
                403,
                [
                    {
                        "message": "TotalRequests Limit exceeded.",
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    }
                ],
                headers,
            )
        match = re.fullmatch(r"/services/data/(v\d+\.\d)/query(?:/([\w-]+))?", request.path)
        if request.method != "GET" or not match:
            return Reply(
                404,
                [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
                headers,
            )
        if match.group(2):
            reply = self._more(match.group(2))
        else:
            reply = self._query(request.arg("q") or "")
        reply.headers = {**headers, **reply.headers}
        return reply

    def _token(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if (
                form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
            ):
                return Reply(
                    400,
                    {"error": "invalid_client", "error_description": "invalid client credentials"},
                )
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problem = self._jwt_problem(form.get("assertion", ""))
            if problem:
                return Reply(400, {"error": "invalid_grant", "error_description": problem})
        else:
            return Reply(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
            )
        token = "00Dfake!" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        self.tokens_issued += 1
        return Reply(
            200,
            {
                "access_token": token,
                "instance_url": self.url,
                "id": f"{self.url}/id/00Dfake/005fake",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": "fake",
            },
        )

    def _jwt_problem(self, assertion: str) -> str:
        try:
            header, claims, signature = assertion.split(".")
            self.jwt_key.public_key().verify(
                _b64url_decode(signature),
                f"{header}.{claims}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            body = json.loads(_b64url_decode(claims))
        except (ValueError, InvalidSignature):
            return "invalid assertion"
        if body.get("iss") != self.client_id:
            return "client identifier invalid"
        if body.get("sub") != self.username:
            return "user hasn't approved this consumer"
        if body.get("aud") != self.url:
            return "audience is invalid"
        if int(body.get("exp", 0)) < time.time():
            return "expired authorization code"
        return ""

    # SOQL -----------------------------------------------------------------------------------
    def _page(self, records: list[dict[str, Any]], total: int, locator: str | None) -> Reply:
        body: dict[str, Any] = {"totalSize": total, "done": locator is None, "records": records}
        if locator is not None:
            body["nextRecordsUrl"] = f"/services/data/{API_VERSION}/query/{locator}"
        return Reply(200, body)

    def _result(self, rows: list[dict[str, Any]], project: Any) -> Reply:
        first = [project(r) for r in rows[:BATCH]]
        if len(rows) <= BATCH:
            return self._page(first, len(rows), None)
        cursor = f"01gFAKE{next(self._ids):08d}"
        self._cursors[cursor] = (rows, project)
        return self._page(first, len(rows), f"{cursor}-{BATCH}")

    def _more(self, locator: str) -> Reply:
        cursor, _, offset_text = locator.rpartition("-")
        if cursor not in self._cursors:
            return Reply(
                400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]
            )
        rows, project = self._cursors[cursor]
        offset = int(offset_text)
        size = CHILD_BATCH if cursor.startswith("01gCHILD") else BATCH
        chunk = [project(r) for r in rows[offset : offset + size]]
        nxt = f"{cursor}-{offset + size}" if offset + size < len(rows) else None
        return self._page(chunk, len(rows), nxt)

    def _query(self, soql: str) -> Reply:
        soql = " ".join(soql.split())
        histories = None
        sub = re.search(
            r", \(SELECT (.+?) FROM Histories WHERE Field IN \((.*?)\) ORDER BY CreatedDate\)",
            soql,
        )
        if sub:
            histories = set(re.findall(r"'([^']*)'", sub.group(2)))
            soql = soql.replace(sub.group(0), "")
        if soql == "SELECT COUNT() FROM Opportunity":
            return Reply(200, {"totalSize": len(self.opportunities), "done": True, "records": []})
        m = re.fullmatch(r"SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (.+))?", soql)
        if not m:
            return Reply(
                400, [{"message": f"unexpected SOQL: {soql}", "errorCode": "MALFORMED_QUERY"}]
            )
        fields = [f.strip() for f in m.group(1).split(",")]
        sobject, where = m.group(2), m.group(3) or ""
        if sobject == "Opportunity":
            return self._opportunities(fields, where, histories)
        if sobject == "OpportunityStage":
            return self._result(
                [
                    {"ApiName": a, "MasterLabel": lbl, "IsClosed": c, "IsWon": w, "SortOrder": o}
                    for a, lbl, c, w, o in STAGES
                ],
                lambda r: {"attributes": {"type": "OpportunityStage"}, **r},
            )
        if sobject in self.activities:
            return self._activities(sobject, fields, where)
        if sobject == "User":
            return self._result(self.users, lambda r: {"attributes": {"type": "User"}, **r})
        return Reply(
            400,
            [
                {
                    "message": f"sObject type '{sobject}' is not supported.",
                    "errorCode": "INVALID_TYPE",
                }
            ],
        )

    def _activities(self, sobject: str, fields: list[str], where: str) -> Reply:
        rows = list(self.activities[sobject].values())
        for clause in [c for c in where.split(" AND ") if c]:
            since = re.fullmatch(r"LastModifiedDate >= (\S+)", clause)
            subtype = re.fullmatch(r"TaskSubtype IN \((.*)\)", clause)
            if since:
                when = dt.datetime.fromisoformat(since.group(1))
                rows = [r for r in rows if dt.datetime.fromisoformat(r["LastModifiedDate"]) >= when]
            elif subtype and sobject == "Task":
                wanted = set(re.findall(r"'([^']*)'", subtype.group(1)))
                rows = [r for r in rows if r.get("TaskSubtype") in wanted]
            else:
                return Reply(
                    400, [{"message": f"unexpected WHERE {where}", "errorCode": "MALFORMED_QUERY"}]
                )
        rows.sort(key=lambda r: (r["LastModifiedDate"], r["Id"]))
        rows = [dict(r) for r in rows]
        return self._result(
            rows,
            lambda r: {"attributes": {"type": sobject}, **{f: r.get(f) for f in fields}},
        )

    def _child_rows(self, opp_id: str, tracked: set[str]) -> dict[str, Any] | None:
        rows = [
            {
                "attributes": {"type": "OpportunityFieldHistory"},
                **{k: h[k] for k in ("Field", "OldValue", "NewValue", "CreatedDate")},
            }
            for h in sorted(self.history.get(opp_id, []), key=lambda h: h["CreatedDate"])
            if h["Field"] in tracked
        ]
        if not rows:
            return None  # Salesforce sends null for a parent without child rows
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": len(rows) <= CHILD_BATCH,
            "records": rows[:CHILD_BATCH],
        }
        if len(rows) > CHILD_BATCH:
            cursor = f"01gCHILD{next(self._ids):08d}"
            self._cursors[cursor] = (rows, lambda r: r)
            body["nextRecordsUrl"] = f"/services/data/{API_VERSION}/query/{cursor}-{CHILD_BATCH}"
        return body

    def _opportunities(self, fields: list[str], where: str, histories: set[str] | None) -> Reply:
        for field in fields:
            if field not in OPPORTUNITY_FIELDS and field != "Account.Name":
                return Reply(
                    400,
                    [
                        {
                            "message": f"No such column '{field}' on entity 'Opportunity'.",
                            "errorCode": "INVALID_FIELD",
                        }
                    ],
                )
        rows = list(self.opportunities.values())
        if where:
            m = re.fullmatch(r"LastModifiedDate >= (\S+)", where)
            if not m:
                return Reply(
                    400, [{"message": f"unexpected WHERE {where}", "errorCode": "MALFORMED_QUERY"}]
                )
            since = dt.datetime.fromisoformat(m.group(1))
            rows = [r for r in rows if dt.datetime.fromisoformat(r["LastModifiedDate"]) >= since]
        rows.sort(key=lambda r: (r["LastModifiedDate"], r["Id"]))
        # A snapshot, as a real query locator: later edits do not change this result set.
        rows = [dict(r) for r in rows]

        def project(r: dict[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {
                "attributes": {
                    "type": "Opportunity",
                    "url": f"/services/data/{API_VERSION}/sobjects/Opportunity/{r['Id']}",
                }
            }
            for field in fields:
                if field == "Account.Name":
                    name = self.accounts.get(r.get("AccountId") or "")
                    out["Account"] = (
                        None if name is None else {"attributes": {"type": "Account"}, "Name": name}
                    )
                else:
                    out[field] = r.get(field)
            if histories is not None:
                out["Histories"] = self._child_rows(r["Id"], histories)
            return out

        return self._result(rows, project)
