"""Where webhooks may go: never to this machine or the private network behind it (SSRF).

A subscriber URL whose host is, or resolves to, a loopback, link-local (cloud metadata lives at
169.254.169.254) or private address is refused, unless the operator sets
WEBHOOKS_ALLOW_PRIVATE_URLS (a receiver on the internal network, or tests with a local receiver).
The check runs when the URL is saved, for early feedback, and again before every delivery, which
then connects to the very address it checked: a DNS name that answered with a public address
when saved and a private one later (DNS rebinding) is caught there.
"""

import ipaddress
import socket
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_DEFAULT_PORTS = {"https": 443, "http": 80}


class DestinationRefused(Exception):
    def __init__(self, *, host: str, address: str, rule: str) -> None:
        self.rule = rule
        super().__init__(
            _(
                "%(host)s resolves to %(address)s, a %(rule)s address: webhooks are not sent to "
                "loopback, link-local or private addresses (WEBHOOKS_ALLOW_PRIVATE_URLS)."
            )
            % {"host": host, "address": address, "rule": _rule_label(rule)}
        )


def _rule_label(rule: str) -> str:
    return {"loopback": _("loopback"), "link-local": _("link-local"), "private": _("private")}[rule]


def private_networks_allowed() -> bool:
    return bool(settings.WEBHOOKS_ALLOW_PRIVATE_URLS)


def address_rule(address: Address) -> str | None:
    """The rule that forbids `address`, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_loopback or address.is_unspecified:  # 0.0.0.0 reaches this machine too
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private or address.is_multicast or not address.is_global:
        return "private"
    return None


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def destination_address(*, host: str, port: int) -> str:
    """A public address of `host` to connect to. Every address the name resolves to must be
    public (a resolver may hand out any of them). Raises DestinationRefused naming the rule,
    or OSError (socket.gaierror) when the name does not resolve."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in _resolve(host, port)]
    for address in addresses:
        rule = address_rule(address)
        if rule is not None:
            raise DestinationRefused(host=host, address=str(address), rule=rule)
    return str(addresses[0])


def destination_pinned(url: httpx.URL, headers: dict[str, str]) -> tuple[httpx.URL, dict[str, Any]]:
    """The URL to connect to and the request's extensions. Unless private networks are allowed,
    connect to the address just checked, naming the host for Host and TLS (SNI and the
    certificate check), so a second DNS answer cannot redirect the request inward. Raises
    DestinationRefused (never worth retrying) or OSError (DNS trouble: worth retrying). Also
    used for other fetches of URLs an admin typed (accounts.saml: IdP metadata)."""
    if private_networks_allowed():
        return url, {}
    address = destination_address(
        host=url.host, port=url.port or _DEFAULT_PORTS.get(url.scheme, 443)
    )
    headers["Host"] = url.netloc.decode("ascii")
    return url.copy_with(host=address), {"sni_hostname": url.host}
