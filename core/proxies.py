"""Which proxy headers to believe: `X-Forwarded-Proto` and `X-Forwarded-For` are taken only
from a peer listed in TRUSTED_PROXIES. Anyone can send those headers; believing them from any
client would let it pose as HTTPS (secure cookies, no redirect) or pick its own IP address (and
so dodge the login lockout per IP, or write a false address into the audit log)."""

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST")


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None


def is_trusted_proxy(address: str) -> bool:
    networks = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request: the peer, or, when the peer is a trusted proxy,
    the last address in X-Forwarded-For that is not itself a trusted proxy."""
    peer = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Read from the right: each trusted proxy appended the address it saw.
    for hop in reversed(hops):
        if not is_trusted_proxy(hop):
            return hop
    return peer


class TrustedProxyMiddleware:
    """First in the chain: drops X-Forwarded-* headers that did not come from a trusted proxy,
    so Django's SECURE_PROXY_SSL_HEADER (and anything else) never sees a client's own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in _FORWARDED:
                request.META.pop(header, None)
        return self.get_response(request)
