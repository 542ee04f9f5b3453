"""Client IP: which address a request comes from, trusting ``X-Forwarded-For`` only from proxies.

Frappe takes the first ``X-Forwarded-For`` entry from anyone, so any client can claim any address
(and dodge IP-based rate limits or lock-outs). docframe uses the socket peer unless the peer is one
of the site's ``trusted_proxies`` (site config: a list of IPs or CIDR networks); then it walks the
``X-Forwarded-For`` chain from the right, skipping trusted proxies, and takes the first other address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["TrustedProxies", "client_ip"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """A parsed ``trusted_proxies`` list."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks: list[Network] = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
            except ValueError:
                continue

    def __contains__(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in net for net in self.networks)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: TrustedProxies) -> str:
    """The address to attribute the request to."""
    address = peer or "127.0.0.1"
    if not forwarded_for or address not in trusted:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if hop not in trusted:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address
    return address
