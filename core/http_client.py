"""Outgoing HTTP clients kept for the life of the process: webhook deliveries, CRM connectors.

A new client per call paid a TCP (and TLS) handshake per webhook and per CRM page, and capped
a worker at a few dozen deliveries a second; a kept client holds connections alive in its pool
and reuses them. httpx clients are safe to share between threads (the connectors' prefetch
thread uses one too). Callers pass their own timeout per request.

`key` gives a caller a pool of its own: webhook deliveries connect to an address checked just
before (see events.destinations) and name the host only for TLS, so they key by host, and a
connection verified for one host never carries another host's request. The number of pools
is bounded; the least recently used one is closed.

No client keeps cookies: one subscriber's or CRM's cookie must not reach another caller. After
a fork (Celery's prefork pool) the child builds its own clients: sockets are not shared across
processes.
"""

import os
import threading
from collections import OrderedDict
from http.cookiejar import DefaultCookiePolicy

import httpx

# Idle connections are dropped after this; subscribers and CRMs close theirs after 5-60 s.
KEEPALIVE_EXPIRY = 30.0
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_POOLS = 256

_clients: OrderedDict[str, httpx.Client] = OrderedDict()
_lock = threading.Lock()


def _client_new() -> httpx.Client:
    client = httpx.Client(
        timeout=DEFAULT_TIMEOUT,
        limits=httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY
        ),
        follow_redirects=False,
    )
    # A policy that accepts no domain: Set-Cookie headers are ignored.
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return client


def http_client_shared(*, key: str = "") -> httpx.Client:
    """The process's client for `key`: pooled, keep-alive, no redirects followed, no cookies."""
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _client_new()
            if len(_clients) > MAX_POOLS:
                _oldest, evicted = _clients.popitem(last=False)
                evicted.close()
        else:
            _clients.move_to_end(key)
        return client


def _forget_after_fork() -> None:
    # The parent's sockets stay the parent's; the child opens its own on first use.
    global _clients, _lock
    _clients = OrderedDict()
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
