"""The client's address, as the rate limits (django-ratelimit) and the login lockout (django-axes) see it.

Without TRUSTED_PROXY_HEADER it is REMOTE_ADDR, the other end of the connection: whatever a client
writes in X-Forwarded-For or any other header changes nothing.

Behind a proxy, REMOTE_ADDR is the proxy's, the same for every visitor. With TRUSTED_PROXY_HEADER
(e.g. `X-Forwarded-For`), and only when the connection comes from one of TRUSTED_PROXIES, the
address is read from that header instead: the TRUSTED_PROXY_COUNT-th entry from the right, the one
written by the outermost of the trusted proxies. Entries further left are what the client itself
sent and are never used. A header that is missing, too short or does not hold an address leaves
REMOTE_ADDR (the proxy's address: one shared counter, never a forged one).

settings.py points both AXES_CLIENT_IP_CALLABLE and RATELIMIT_IP_META_KEY here.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


def meta_key(header):
    """request.META's name for an HTTP header: `X-Forwarded-For` → `HTTP_X_FORWARDED_FOR`."""
    key = header.strip().upper().replace("-", "_")
    return key if key.startswith("HTTP_") else f"HTTP_{key}"


@lru_cache(maxsize=16)
def _networks(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def parse_address(value):
    """An address as a forwarding header writes it, normalised, without port or brackets; None if it is none.

    `203.0.113.7`, `203.0.113.7:51234`, `2001:db8::1`, `[2001:db8::1]:443`, `"[2001:db8::1]"`.
    """
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # IPv4 with a port; an IPv6 address has at least two colons
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def from_trusted_proxy(remote_addr):
    """Whether the connection's peer is one of TRUSTED_PROXIES (addresses or networks)."""
    address = parse_address(remote_addr or "")
    if address is None:
        return False
    address = ipaddress.ip_address(address)
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request):
    """The visitor's address: from the trusted proxy's header when configured and applicable, else REMOTE_ADDR."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    header = settings.TRUSTED_PROXY_HEADER
    if not header or not from_trusted_proxy(remote_addr):
        return remote_addr
    entries = request.META.get(meta_key(header), "").split(",")
    count = settings.TRUSTED_PROXY_COUNT
    if len(entries) < count:
        return remote_addr
    return parse_address(entries[-count]) or remote_addr
