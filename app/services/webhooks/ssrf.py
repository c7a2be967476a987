"""Server-side request forgery guard: webhooks go to public addresses only, unless an admin allow-lists a
host or network (`TANGGAP_WEBHOOK_ALLOW_PRIVATE`).

Checked when an endpoint is saved (so the agency hears of it at once) and again before every delivery,
on the addresses the name resolves to then (a name may have been re-pointed since). A plain-http delivery
then connects to an address it checked (`pinned`), not to what the name resolves to a moment later: a name
that answers a public address to the check and a private one to the connection (DNS rebinding) gets
nowhere. Over https the certificate check does the same."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from app.errors import Unprocessable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedTarget(Exception):
    """The target is not a public address and not allow-listed; the message says why."""


def _public(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _public(ip.ipv4_mapped)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _allowed(host: str, ip: Address | None, allow: Sequence[str]) -> bool:
    for entry in allow:
        if entry.lower() == host.lower():
            return True
        if ip is not None:
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


async def resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check(url: str, allow: Sequence[str], *, require_https: bool) -> list[Address]:
    """Raises RefusedTarget unless every address the URL's host resolves to is public or allow-listed;
    returns those addresses (none when the host name itself is allow-listed: it is reached by name)."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise RefusedTarget("the URL must be http(s) with a host")
    if parts.username or parts.password:
        raise RefusedTarget("the URL must not carry credentials")
    if _allowed(host, None, allow):
        return []
    if require_https and parts.scheme != "https":
        raise RefusedTarget("webhook URLs must use https")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise RefusedTarget(f"host {host} does not resolve") from exc
    for ip in addresses:
        if not _public(ip) and not _allowed(host, ip, allow):
            raise RefusedTarget(
                f"{host} is a private, loopback or link-local address ({ip}); an admin may allow-list it"
            )
    return list(dict.fromkeys(addresses))


@dataclass(frozen=True)
class Pinned:
    """A request to `url` made so that its connection goes to one checked address."""

    url: str
    headers: dict[str, str]


def pinned(url: str, address: Address | None) -> Pinned:
    """Plain http: the URL with the checked address in place of the host name, and the name in `Host`.
    https is left as it is: an address the name is re-pointed to cannot show a certificate for the name,
    so the handshake fails before a byte of the message leaves (and httpx pools https connections by
    address, which a pinned name would share with every other name on that address). None: as it is."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if address is None or parts.scheme != "http" or _literal(host) == address:
        return Pinned(url, {})
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal + (f":{parts.port}" if parts.port else "")
    target = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return Pinned(target, {"host": host if parts.port is None else f"{host}:{parts.port}"})


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def check_for_api(url: str, allow: Sequence[str], *, require_https: bool) -> None:
    try:
        await check(url, allow, require_https=require_https)
    except RefusedTarget as exc:
        raise Unprocessable(f"webhook URL refused: {exc}", field="body.url") from exc
