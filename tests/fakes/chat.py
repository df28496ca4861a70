"""Fakes of the chat services notifications go to, on loopback.

FakeSlack answers the two Web API methods the Slack channel uses (users.lookupByEmail,
chat.postMessage) the way Slack does: HTTP 200 with {"ok": false, "error": ...} for API errors,
429 with Retry-After when rate limited, and a bearer token it checks.
FakeTeams is an incoming webhook: it keeps the posted cards and answers 200 "1" as Teams does.
"""

import json
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.server import FakeServer, Reply, Request

SLACK_TOKEN = "xoxb-test-token"


class FakeSlack(FakeServer):
    def __init__(self, port: int = 0, members: dict[str, str] | None = None) -> None:
        super().__init__(port)
        self.members = dict(members or {})  # email -> member id
        self.messages: list[dict[str, Any]] = []

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[0] for k, v in request.query.items()}
        content_type = request.headers.get("content-type", "")
        if request.body and "json" in content_type:
            params.update(json.loads(request.body))
        elif request.body:
            params.update({k: v[0] for k, v in parse_qs(request.body.decode()).items()})
        return params

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {SLACK_TOKEN}":
            return Reply(200, {"ok": False, "error": "invalid_auth"})
        params = self._params(request)
        if request.path == "/api/users.lookupByEmail":
            member = self.members.get(str(params.get("email", "")).lower())
            if member is None:
                return Reply(200, {"ok": False, "error": "users_not_found"})
            return Reply(200, {"ok": True, "user": {"id": member, "name": member.lower()}})
        if request.path == "/api/chat.postMessage":
            if params.get("channel") not in self.members.values():
                return Reply(200, {"ok": False, "error": "channel_not_found"})
            self.messages.append(params)
            return Reply(200, {"ok": True, "channel": params["channel"], "ts": "1.000100"})
        return Reply(200, {"ok": False, "error": "unknown_method"})


class FakeTeams(FakeServer):
    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.cards: list[dict[str, Any]] = []

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhookb2/abc@def/IncomingWebhook/123/456"

    def handle(self, request: Request) -> Reply:
        if request.method != "POST" or not request.path.startswith("/webhookb2/"):
            return Reply(404, "not found", {"Connection": "close"})
        self.cards.append(request.json())
        # No keep-alive: the next test's fake may listen on the same port, and a pooled
        # connection to this one must not carry its requests.
        return Reply(200, "1", {"Connection": "close"})
