"""HubSpot CRM v3: deals search by last-modified time, single deals, pipelines, owners.

Auth is a private-app access token (Bearer). Rate limits: a 429 names its policy; the
X-HubSpot-RateLimit-* headers tell how much of the rolling window and the day is left. The
search endpoint pages with `after` and stops at 10,000 results per query, so the sync re-queries
from its watermark after every page instead of following `after` far (see `deal_pages`).
"""

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import httpx

from integrations.adapters.base import (
    DEFAULT_POLICY,
    CrmAuthError,
    CrmClient,
    CrmError,
    CrmRateLimited,
    CrmRequestError,
    RetryPolicy,
    Sleep,
    json_error_message,
)
from integrations.adapters.types import CrmOwner, CrmStage
from integrations.mapping import (
    MappedPage,
    MappingError,
    MappingInvalid,
    closed_at_for,
    facts_from,
    parse_amount,
    parse_optional_time,
    parse_time,
    stage_resolve,
    text_from,
)

DEFAULT_API_BASE = "https://api.hubapi.com"
SOURCE = "hubspot"
PAGE_SIZE = 100  # the search endpoint allows up to 200
BASE_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "dealstage",
    "pipeline",
    "createdate",
    "closedate",
    "hs_lastmodifieddate",
    "hubspot_owner_id",
    "closed_lost_reason",
)


class HubSpotClient(CrmClient):
    name = "HubSpot"

    def __init__(
        self,
        *,
        access_token: str,
        api_base: str = DEFAULT_API_BASE,
        http: httpx.Client | None = None,
        sleep: Sleep | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        super().__init__(
            http=http, policy=policy, **({"sleep": sleep} if sleep is not None else {})
        )
        if not access_token:
            raise CrmAuthError("Enter the HubSpot private app access token.")
        self.access_token = access_token
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self._daily_exhausted = False

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}

    def _before_request(self) -> None:
        if self._daily_exhausted:
            raise CrmRateLimited("HubSpot's daily API limit is used up; the sync resumes tomorrow.")

    def _after_response(self, response: httpx.Response) -> None:
        headers = response.headers
        if headers.get("X-HubSpot-RateLimit-Daily-Remaining") == "0":
            self._daily_exhausted = True
        # The rolling window (e.g. 190 calls per 10 s) is spent: wait it out instead of
        # provoking a 429.
        if headers.get("X-HubSpot-RateLimit-Remaining") == "0":
            self.sleep(_interval_seconds(headers) or 1.0)

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        try:
            policy = response.json().get("policyName", "")
        except (ValueError, AttributeError):
            policy = ""
        if policy == "DAILY":
            return math.inf  # not worth waiting for in-process
        retry_after = super()._rate_limit_wait(response)
        return retry_after if retry_after is not None else _interval_seconds(response.headers)

    def _request_error(self, response: httpx.Response) -> CrmError:
        message = json_error_message(response)
        if response.status_code == 403:
            return CrmAuthError(f"HubSpot refused access (HTTP 403): {message}")
        return CrmRequestError(f"HubSpot answered HTTP {response.status_code}: {message}")

    def search_deals(
        self, *, modified_since: dt.datetime | None, properties: list[str], after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of deals modified at or after `modified_since`, oldest first."""
        return self.search_objects(
            "deals", modified_since=modified_since, properties=properties, after=after
        )

    def search_objects(
        self,
        object_type: str,
        *,
        modified_since: dt.datetime | None,
        properties: list[str],
        after: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of CRM objects (deals, meetings, calls, emails) modified at or after
        `modified_since`, oldest first."""
        body: dict[str, Any] = {
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": properties,
            "limit": PAGE_SIZE,
        }
        if modified_since is not None:
            millis = int(modified_since.timestamp() * 1000)
            body["filterGroups"] = [
                {
                    "filters": [
                        {
                            "propertyName": "hs_lastmodifieddate",
                            "operator": "GTE",
                            "value": str(millis),
                        }
                    ]
                }
            ]
        if after:
            body["after"] = after
        url = f"{self.api_base}/crm/v3/objects/{object_type}/search"
        data = self._send("POST", url, json=body).json()
        next_after = (data.get("paging") or {}).get("next", {}).get("after")
        return list(data.get("results") or []), (str(next_after) if next_after else None)

    def deal_associations(self, object_type: str, ids: list[str]) -> dict[str, str]:
        """{object id: its deal id} for the objects associated with a deal (the first one when
        several): one batch call for a page."""
        if not ids:
            return {}
        data = self._send(
            "POST",
            f"{self.api_base}/crm/v4/associations/{object_type}/deals/batch/read",
            json={"inputs": [{"id": i} for i in ids]},
        ).json()
        found: dict[str, str] = {}
        for result in data.get("results") or []:
            targets = result.get("to") or []
            if targets:
                found[str((result.get("from") or {}).get("id"))] = str(targets[0]["toObjectId"])
        return found

    def get_deal(self, deal_id: str, *, properties: list[str]) -> dict[str, Any] | None:
        response = self._send(
            "GET",
            f"{self.api_base}/crm/v3/objects/deals/{deal_id}",
            params={"properties": ",".join(properties), "archived": "false"},
            allow_404=True,
        )
        return None if response.status_code == 404 else response.json()

    def pipeline_stages(self) -> list[CrmStage]:
        data = self._send("GET", f"{self.api_base}/crm/v3/pipelines/deals").json()
        stages: list[CrmStage] = []
        for pipeline_index, pipeline in enumerate(data.get("results") or []):
            multi = len(data["results"]) > 1
            for stage in pipeline.get("stages") or []:
                meta = stage.get("metadata") or {}
                closed = str(meta.get("isClosed", "false")).lower() == "true"
                probability = float(meta.get("probability") or 0)
                status = ("won" if probability >= 1 else "lost") if closed else "open"
                label = str(stage.get("label") or stage["id"])
                if multi:
                    label = f"{pipeline.get('label', pipeline.get('id'))}: {label}"
                stages.append(
                    CrmStage(
                        id=str(stage["id"]),
                        label=label[:100],
                        status=status,
                        order=pipeline_index * 100 + int(stage.get("displayOrder") or 0),
                    )
                )
        return stages

    def owners(self) -> list[CrmOwner]:
        owners: list[CrmOwner] = []
        after: str | None = None
        while True:
            params = {"limit": "100", **({"after": after} if after else {})}
            data = self._send("GET", f"{self.api_base}/crm/v3/owners", params=params).json()
            for owner in data.get("results") or []:
                name = f"{owner.get('firstName') or ''} {owner.get('lastName') or ''}".strip()
                owners.append(
                    CrmOwner(id=str(owner["id"]), email=owner.get("email") or "", name=name)
                )
            after = (data.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return owners


def _interval_seconds(headers: httpx.Headers) -> float | None:
    value = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    try:
        return int(value) / 1000 if value else None
    except ValueError:
        return None


class HubSpotMapper:
    """HubSpot deal → deals_ingest row, through the connection's stage and field maps."""

    def __init__(
        self, *, stage_map: dict[str, Any], field_map: dict[str, Any], default_currency: str
    ) -> None:
        self.stage_map = stage_map
        self.field_map = {k: v for k, v in field_map.items() if v}
        self.default_currency = default_currency

    @property
    def properties(self) -> list[str]:
        extra = sorted(set(self.field_map.values()) - set(BASE_PROPERTIES))
        return [*BASE_PROPERTIES, *extra]

    def row(self, deal: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = deal.get("properties") or {}
        stage = stage_resolve(self.stage_map, str(props.get("dealstage") or ""))
        created_at = parse_time(
            props.get("createdate") or deal.get("createdAt"), field="created_at"
        )
        modified = props.get("hs_lastmodifieddate") or deal.get("updatedAt")
        close_time = parse_optional_time(props.get("closedate"), field="expected_close_date")
        return {
            "source": SOURCE,
            "external_id": str(deal["id"]),
            "owner_id": props.get("hubspot_owner_id") or None,
            "name": str(props.get("dealname") or "").strip()[:255],
            "account_name": text_from(props, self.field_map.get("account_name")),
            "amount": parse_amount(props.get("amount")),
            "currency": str(props.get("deal_currency_code") or self.default_currency),
            "stage": stage.label,
            "status": stage.status,
            "created_at": created_at,
            "expected_close_date": close_time.date() if close_time else None,
            "closed_at": closed_at_for(
                status=stage.status, close_time=close_time, created_at=created_at
            ),
            "loss_reason": text_from(
                props, self.field_map.get("loss_reason") or "closed_lost_reason"
            )
            if stage.status == "lost"
            else "",
            **facts_from(props, self.field_map),
            "source_updated_at": parse_time(modified, field="source_updated_at"),
        }

    def page(self, deals: list[dict[str, Any]]) -> MappedPage:
        page = MappedPage()
        for deal in deals:
            external_id = str(deal.get("id") or "")
            page.external_ids.append(external_id)
            try:
                row = self.row(deal)
            except MappingInvalid as exc:
                page.errors.append(MappingError(external_id, exc.field, exc.message))
                # An unmappable deal still counts for how far the sync got.
                page.note_modified(_modified_or_none(deal))
                continue
            page.note_modified(row["source_updated_at"])
            page.rows.append(row)
        return page


def _modified_or_none(deal: dict[str, Any]) -> dt.datetime | None:
    props = deal.get("properties") or {}
    try:
        return parse_time(
            props.get("hs_lastmodifieddate") or deal.get("updatedAt"), field="source_updated_at"
        )
    except MappingInvalid:
        return None


def deal_pages(
    client: HubSpotClient, mapper: HubSpotMapper, *, since: dt.datetime | None
) -> Iterator[MappedPage]:
    """Every deal modified at or after `since`, a mapped page at a time, oldest first.

    Keyset paging: after each page the next query starts at the newest time seen so far, so a
    deal edited mid-sync cannot shift an offset and make us skip a neighbour, and no query nears
    the search API's 10,000-result cap. `after` is followed only while a page brings no newer
    time (more deals share one timestamp than fit in a page). Deals at the boundary time come
    twice; ingestion finds them unchanged.
    """
    cursor = since
    after: str | None = None
    properties = mapper.properties
    while True:
        deals, next_after = client.search_deals(
            modified_since=cursor, properties=properties, after=after
        )
        page = mapper.page(deals)
        yield page
        if not next_after:
            return
        if page.max_modified is not None and (cursor is None or page.max_modified > cursor):
            cursor, after = page.max_modified, None
        else:
            after = next_after
