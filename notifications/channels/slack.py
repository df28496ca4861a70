"""Slack through the workspace's bot (slack_sdk): find the person by email, then send them a
direct message. SLACK_BOT_TOKEN needs the users:read.email and chat:write scopes."""

from urllib.error import URLError

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.retry import retry_after_seconds
from notifications.channels import Message, PermanentError, TransientError

# Slack errors worth another try later; every other error (users_not_found, invalid_auth,
# channel_not_found, ...) will not heal by itself.
_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable"})


def slack_is_configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN)


def _client() -> WebClient:
    return WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=10)


def _call(method: str, **kwargs: str) -> dict[str, object]:
    try:
        response = getattr(_client(), method)(**kwargs)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        status = exc.response.status_code if exc.response is not None else 0
        if error in _TRANSIENT or status == 429 or status >= 500:
            headers = exc.response.headers if exc.response is not None else {}
            retry_after = {str(k).lower(): v for k, v in headers.items()}.get("retry-after")
            raise TransientError(
                f"slack {method}: {error or status}",
                retry_after=retry_after_seconds(retry_after),
            ) from exc
        raise PermanentError(f"slack {method}: {error or status}") from exc
    except (URLError, TimeoutError, OSError) as exc:
        raise TransientError(f"slack {method}: {exc}") from exc
    return dict(response.data) if isinstance(response.data, dict) else {}


def slack_user_id_lookup(*, email: str) -> str:
    data = _call("users_lookupByEmail", email=email)
    user = data.get("user")
    if not isinstance(user, dict) or not user.get("id"):
        raise PermanentError("slack users.lookupByEmail: no id")
    return str(user["id"])


def slack_send(*, slack_user_id: str, message: Message) -> None:
    text = f"*{message.title}*\n{message.body}"
    if message.url:
        text += f"\n<{message.url}|{message.link_label}>"
    _call("chat_postMessage", channel=slack_user_id, text=text)
