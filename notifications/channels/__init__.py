"""Senders for the outside channels. Each takes a rendered message and raises TransientError
(try again later) or PermanentError (give up and record why); anything else is a bug."""

from dataclasses import dataclass


class TransientError(Exception):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the service asked us to wait, if it said


class PermanentError(Exception):
    pass


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str  # absolute (SITE_URL + path), or "" when there is nothing to open
    link_label: str
