"""Salesforce REST API: OAuth 2.0 tokens, SOQL queries paged by nextRecordsUrl, Opportunity
rows modified since the watermark and their OpportunityFieldHistory.

Tokens come from the client-credentials flow (a connected app with a run-as user) or the JWT
bearer flow (a connected app with a certificate; we sign the assertion with its private key).
An access token is reused until Salesforce answers 401, then fetched again once.
Rate limits: every answer carries `Sforce-Limit-Info: api-usage=used/limit`; past
QUOTA_SHARE of the org's daily calls the sync stops and resumes on a later run, leaving the
rest to the customer's other integrations.
"""

import base64
import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

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

SOURCE = "salesforce"
DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "v61.0"
QUOTA_SHARE = 0.9
HISTORY_FIELDS = {"StageName": "stage", "Amount": "amount", "CloseDate": "expected_close_date"}
# OpportunityFieldHistory rows of each opportunity, through its `Histories` relationship.
HISTORY_SUBQUERY = (
    "(SELECT Field, OldValue, NewValue, CreatedDate FROM Histories"
    " WHERE Field IN ('StageName', 'Amount', 'CloseDate') ORDER BY CreatedDate)"
)
BASE_FIELDS = (
    "Id",
    "OwnerId",
    "Name",
    "Account.Name",
    "Amount",
    "StageName",
    "IsClosed",
    "IsWon",
    "CreatedDate",
    "CloseDate",
    "LastModifiedDate",
)
# A field name or relationship path (Account.Name, Champion__r.Name); nothing else reaches SOQL.
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


class AuthFlow:
    CLIENT_CREDENTIALS = "client_credentials"
    JWT_BEARER = "jwt_bearer"
    ALL = (CLIENT_CREDENTIALS, JWT_BEARER)


@dataclass(frozen=True)
class SalesforceSession:
    access_token: str
    instance_url: str


class SalesforceClient(CrmClient):
    name = "Salesforce"

    def __init__(
        self,
        *,
        client_id: str,
        auth_flow: str = AuthFlow.CLIENT_CREDENTIALS,
        client_secret: str = "",
        username: str = "",
        private_key: str = "",
        login_url: str = DEFAULT_LOGIN_URL,
        api_version: str = DEFAULT_API_VERSION,
        session: SalesforceSession | None = None,
        http: httpx.Client | None = None,
        sleep: Sleep | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        super().__init__(
            http=http, policy=policy, **({"sleep": sleep} if sleep is not None else {})
        )
        if auth_flow not in AuthFlow.ALL:
            raise CrmAuthError(f"Unknown Salesforce sign-in flow {auth_flow!r}.")
        if not client_id:
            raise CrmAuthError("Enter the connected app's consumer key (client id).")
        if auth_flow == AuthFlow.CLIENT_CREDENTIALS and not client_secret:
            raise CrmAuthError("Enter the connected app's consumer secret.")
        if auth_flow == AuthFlow.JWT_BEARER and not (username and private_key):
            raise CrmAuthError("The JWT bearer flow needs the username and the private key.")
        self.client_id = client_id
        self.auth_flow = auth_flow
        self.client_secret = client_secret
        self.username = username
        self.private_key = private_key
        self.login_url = (login_url or DEFAULT_LOGIN_URL).rstrip("/")
        self.api_version = api_version or DEFAULT_API_VERSION
        self.session = session
        self.initial_session = session  # to tell whether a new token needs keeping
        self._quota_spent = False

    # Auth ------------------------------------------------------------------------------------
    def _token_request(self) -> dict[str, str]:
        if self.auth_flow == AuthFlow.JWT_BEARER:
            return {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": jwt_assertion(
                    client_id=self.client_id,
                    username=self.username,
                    audience=self.login_url,
                    private_key_pem=self.private_key,
                ),
            }
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def authenticate(self) -> SalesforceSession:
        try:
            response = self._send(
                "POST",
                f"{self.login_url}/services/oauth2/token",
                data=self._token_request(),
                authenticate=False,
            )
        except CrmRequestError as exc:
            raise CrmAuthError(f"Salesforce refused the sign-in: {exc.args[0]}") from None
        body = response.json()
        if not body.get("access_token") or not body.get("instance_url"):
            raise CrmAuthError("Salesforce's token answer had no access token or instance URL.")
        self.session = SalesforceSession(body["access_token"], body["instance_url"].rstrip("/"))
        return self.session

    def _auth_headers(self) -> dict[str, str]:
        session = self.session or self.authenticate()
        return {"Authorization": f"Bearer {session.access_token}", "Accept": "application/json"}

    def _refresh_auth(self) -> bool:
        self.session = None
        self.authenticate()
        return True

    # Limits ----------------------------------------------------------------------------------
    def _before_request(self) -> None:
        if self._quota_spent:
            raise CrmRateLimited(
                f"Salesforce API usage passed {QUOTA_SHARE:.0%} of the org's daily limit; "
                "the sync resumes when calls are available again."
            )

    def _after_response(self, response: httpx.Response) -> None:
        used, limit = api_usage(response.headers.get("Sforce-Limit-Info", ""))
        if limit and used >= limit * QUOTA_SHARE:
            self._quota_spent = True

    def _request_error(self, response: httpx.Response) -> CrmError:
        message = json_error_message(response)
        if response.status_code == 403 and "REQUEST_LIMIT_EXCEEDED" in response.text:
            return CrmRateLimited(f"Salesforce's API limit is reached: {message}")
        if response.status_code == 403:
            return CrmAuthError(f"Salesforce refused access (HTTP 403): {message}")
        return CrmRequestError(f"Salesforce answered HTTP {response.status_code}: {message}")

    # Queries ---------------------------------------------------------------------------------
    def _data_url(self, path: str) -> str:
        session = self.session or self.authenticate()
        return f"{session.instance_url}/services/data/{self.api_version}{path}"

    def query_pages(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """The records of a query, a page (up to 2,000 records) at a time."""
        data = self._send("GET", self._data_url("/query"), params={"q": soql}).json()
        while True:
            yield list(data.get("records") or [])
            next_url = data.get("nextRecordsUrl")
            if data.get("done", True) or not next_url:
                return
            session = self.session or self.authenticate()
            data = self._send("GET", f"{session.instance_url}{next_url}").json()

    def query_all(self, soql: str) -> list[dict[str, Any]]:
        return [record for page in self.query_pages(soql) for record in page]

    def opportunity_pages(
        self, *, modified_since: dt.datetime | None, fields: list[str]
    ) -> Iterator[list[dict[str, Any]]]:
        """Opportunities modified at or after `modified_since`, oldest first, each with its
        stage, amount and close-date history (OpportunityFieldHistory through the `Histories`
        relationship): one API call per page instead of one per page and id chunk."""
        for name in fields:
            if not FIELD_NAME.match(name):
                raise CrmRequestError(f"{name!r} is not a Salesforce field name.")
        where = (
            f" WHERE LastModifiedDate >= {soql_datetime(modified_since)}" if modified_since else ""
        )
        # Field names were checked against FIELD_NAME above, so SOQL gets names, never code.
        soql = f"SELECT {', '.join(fields)}, {HISTORY_SUBQUERY} FROM Opportunity{where}"  # noqa: S608
        soql += " ORDER BY LastModifiedDate, Id"
        for records in self.query_pages(soql):
            for record in records:
                self._complete_histories(record)
            yield records

    def _complete_histories(self, record: dict[str, Any]) -> None:
        """Salesforce returns a parent's child rows a batch at a time; fetch the rest."""
        histories = record.get("Histories")
        while isinstance(histories, dict) and not histories.get("done", True):
            next_url = histories.get("nextRecordsUrl")
            if not next_url:
                break
            session = self.session or self.authenticate()
            more = self._send("GET", f"{session.instance_url}{next_url}").json()
            histories["records"] = [*histories.get("records", []), *more.get("records", [])]
            histories["done"] = more.get("done", True)
            histories["nextRecordsUrl"] = more.get("nextRecordsUrl")

    def stages(self) -> list[CrmStage]:
        records = self.query_all(
            "SELECT ApiName, MasterLabel, IsClosed, IsWon, SortOrder FROM OpportunityStage "
            "WHERE IsActive = true ORDER BY SortOrder"
        )
        return [
            CrmStage(
                id=str(r["ApiName"]),
                label=str(r.get("MasterLabel") or r["ApiName"])[:100],
                status=("won" if r.get("IsWon") else "lost") if r.get("IsClosed") else "open",
                order=int(r.get("SortOrder") or 0),
            )
            for r in records
        ]

    def owners(self) -> list[CrmOwner]:
        records = self.query_all("SELECT Id, Name, Email FROM User WHERE IsActive = true")
        return [
            CrmOwner(id=str(r["Id"]), email=r.get("Email") or "", name=r.get("Name") or "")
            for r in records
        ]

    def count_opportunities(self) -> int:
        data = self._send(
            "GET", self._data_url("/query"), params={"q": "SELECT COUNT() FROM Opportunity"}
        ).json()
        return int(data.get("totalSize") or 0)


def api_usage(value: str) -> tuple[int, int]:
    """`api-usage=25/15000` → (25, 15000); (0, 0) when absent or unreadable."""
    match = re.search(r"api-usage=(\d+)/(\d+)", value)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def soql_datetime(value: dt.datetime) -> str:
    # SOQL literals have whole seconds; flooring keeps the filter inclusive.
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_assertion(
    *, client_id: str, username: str, audience: str, private_key_pem: str, now: float | None = None
) -> str:
    """The RS256-signed JWT of Salesforce's OAuth 2.0 JWT bearer flow (valid for 3 minutes)."""
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise CrmAuthError("The private key is not an unencrypted PEM RSA key.") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CrmAuthError("The private key must be an RSA key.")
    issued = int(now if now is not None else time.time())
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = _b64url(
        json.dumps(
            {"iss": client_id, "sub": username, "aud": audience, "exp": issued + 180}
        ).encode()
    )
    signing_input = f"{header}.{claims}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{_b64url(signature)}"


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"Account": {"Name": "Acme"}} → {"Account.Name": "Acme"}; drops `attributes` and the
    Histories child rows (read separately)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key in ("attributes", "Histories"):
            continue
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class SalesforceMapper:
    """Opportunity (+ its field history) → deals_ingest rows, through the connection's maps."""

    def __init__(
        self,
        *,
        stage_map: dict[str, Any],
        field_map: dict[str, Any],
        default_currency: str,
        multi_currency: bool,
    ) -> None:
        self.stage_map = stage_map
        self.field_map = {k: v for k, v in field_map.items() if v}
        self.default_currency = default_currency
        self.multi_currency = multi_currency

    @property
    def fields(self) -> list[str]:
        base = [*BASE_FIELDS, *(["CurrencyIsoCode"] if self.multi_currency else [])]
        extra = sorted(set(self.field_map.values()) - set(base))
        return [*base, *extra]

    def row(self, record: dict[str, Any]) -> dict[str, Any]:
        flat = _flatten(record)
        stage = stage_resolve(self.stage_map, str(flat.get("StageName") or ""))
        created_at = parse_time(flat.get("CreatedDate"), field="created_at")
        close_date = parse_optional_time(flat.get("CloseDate"), field="expected_close_date")
        field_map = self.field_map
        return {
            "source": SOURCE,
            "external_id": str(flat["Id"]),
            "owner_id": flat.get("OwnerId") or None,
            "name": str(flat.get("Name") or "").strip()[:255],
            "account_name": text_from(flat, field_map.get("account_name") or "Account.Name"),
            "amount": parse_amount(flat.get("Amount")),
            "currency": str(flat.get("CurrencyIsoCode") or self.default_currency),
            "stage": stage.label,
            "status": stage.status,
            "created_at": created_at,
            "expected_close_date": close_date.date() if close_date else None,
            "closed_at": closed_at_for(
                status=stage.status, close_time=close_date, created_at=created_at
            ),
            "loss_reason": text_from(flat, field_map.get("loss_reason"))
            if stage.status == "lost"
            else "",
            **facts_from(flat, field_map),
            "source_updated_at": parse_time(
                flat.get("LastModifiedDate"), field="source_updated_at"
            ),
        }

    def history_row(self, external_id: str, record: dict[str, Any]) -> dict[str, Any] | None:
        field = HISTORY_FIELDS.get(str(record.get("Field")))
        if field is None:
            return None
        old, new = record.get("OldValue"), record.get("NewValue")
        if field == "stage":
            old, new = self._stage_label(old), self._stage_label(new)
        return {
            "source": SOURCE,
            "external_id": external_id,
            "field": field,
            "old_value": old,
            "new_value": new,
            "changed_at": parse_time(record.get("CreatedDate"), field="changed_at"),
        }

    def _stage_label(self, value: Any) -> Any:
        if value is None:
            return None
        entry = self.stage_map.get(str(value))
        return str(entry.get("label") or value) if isinstance(entry, dict) else value

    def page(self, records: list[dict[str, Any]]) -> MappedPage:
        page = MappedPage()
        for record in records:
            external_id = str(record.get("Id") or "")
            page.external_ids.append(external_id)
            try:
                row = self.row(record)
                page.note_modified(row["source_updated_at"])
                histories = record.get("Histories") or {}
                history = [self.history_row(external_id, h) for h in histories.get("records", [])]
            except MappingInvalid as exc:
                page.errors.append(MappingError(external_id, exc.field, exc.message))
                continue
            page.rows.append(row)
            page.history += [h for h in history if h is not None]
        return page


def opportunity_pages(
    client: SalesforceClient, mapper: SalesforceMapper, *, since: dt.datetime | None
) -> Iterator[MappedPage]:
    """Every Opportunity modified at or after `since`, oldest first, with its field history.

    One query with a server-side cursor (nextRecordsUrl): Salesforce fixes the result set when
    the query runs, so edits made during the sync cannot shift pages; they are picked up by the
    next run because their LastModifiedDate is newer than the watermark.
    """
    for records in client.opportunity_pages(modified_since=since, fields=mapper.fields):
        yield mapper.page(records)
