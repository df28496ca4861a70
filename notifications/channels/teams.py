"""Microsoft Teams through an incoming webhook (or a Workflows "post to a chat or channel" URL)
that the person set up: one POST of an Adaptive Card. Only Microsoft's webhook hosts are
accepted (TEAMS_WEBHOOK_HOST_SUFFIXES), so the URL cannot point the server at anything else."""

from urllib.parse import urlsplit

import httpx
from django.conf import settings

from core.http_client import http_client_shared
from core.retry import retry_after_seconds
from notifications.channels import Message, PermanentError, TransientError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def teams_url_problem(url: str) -> str | None:
    """Why `url` is not an acceptable Teams webhook, or None when it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    host = (parts.hostname or "").lower()
    if parts.scheme not in settings.TEAMS_WEBHOOK_SCHEMES or not host:
        return "scheme"
    if parts.username or parts.password:
        return "credentials"
    if not any(
        host == suffix.lstrip(".") or host.endswith(suffix)
        for suffix in settings.TEAMS_WEBHOOK_HOST_SUFFIXES
    ):
        return "host"
    return None


def _card(message: Message) -> dict[str, object]:
    body: list[dict[str, object]] = [
        {"type": "TextBlock", "text": message.title, "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": message.body, "wrap": True},
    ]
    card: dict[str, object] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if message.url:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": message.link_label, "url": message.url}
        ]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def teams_send(*, webhook_url: str, message: Message) -> None:
    if teams_url_problem(webhook_url) is not None:
        raise PermanentError("teams: webhook URL not allowed")
    try:
        response = http_client_shared(key="teams").post(
            webhook_url, json=_card(message), timeout=TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise TransientError(f"teams: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(
            f"teams: HTTP {response.status_code}",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    if response.status_code >= 300:
        raise PermanentError(f"teams: HTTP {response.status_code}")
