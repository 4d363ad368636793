"""Outbound HTTP for webhooks: only to public addresses, checked again at every connection."""

import ipaddress
import socket
import threading
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
MAX_RESPONSE_BYTES = 64 * 1024


class TargetRefused(Exception):
    """The target does not resolve, or resolves to an address webhooks may not reach."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in NAT64_PREFIX:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in embedded if address is not None]


def address_is_public(address: str) -> bool:
    """Neither private, loopback, link-local, unique-local, multicast, reserved nor metadata."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return all(address_is_public(str(inner)) for inner in _embedded_ipv4(ip))
    return True


def target_addresses(host: str, port: int) -> list[str]:
    """The addresses a webhook to ``host`` may connect to; refused unless every one is public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        # One private answer among public ones is how DNS rebinding starts: refuse them all.
        private = [address for address in addresses if not address_is_public(address)]
        if private:
            raise TargetRefused(f"{host} resolves to a non-public address ({private[0]}).")
    return addresses


def webhook_url_check(url: str) -> None:
    """Refuse a webhook URL that is not https or that points into a private network."""
    parts = urlsplit(url)
    schemes = {"https", "http"} if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS else {"https"}
    if parts.scheme not in schemes:
        raise ValidationError({"url": _("A webhook URL must use https.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("A webhook URL may not carry credentials.")})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValidationError({"url": _("The port of the URL is invalid.")}) from exc
    if not parts.hostname:
        raise ValidationError({"url": _("A webhook URL needs a host name.")})
    try:
        target_addresses(parts.hostname, port)
    except TargetRefused as exc:
        raise ValidationError(
            {
                "url": _(
                    "Webhooks may only reach public internet addresses, and the host must resolve."
                )
            }
        ) from exc


class PublicAddressBackend(httpcore.NetworkBackend):
    """Resolves each new connection's host itself and connects only to checked addresses.

    Checking when connecting, not when the URL was saved, is what defeats DNS rebinding.
    """

    def __init__(self):
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error = None
        for address in target_addresses(host, port):
            try:
                return self._backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise TargetRefused("Webhooks do not use unix sockets.")

    def sleep(self, seconds):
        self._backend.sleep(seconds)


_pool: httpcore.ConnectionPool | None = None
_pool_lock = threading.Lock()


def _connection_pool() -> httpcore.ConnectionPool:
    # Made on first use, so each worker process (after the fork) has its own connections.
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = httpcore.ConnectionPool(
                ssl_context=httpx.create_ssl_context(),
                max_connections=20,
                max_keepalive_connections=10,
                keepalive_expiry=30,
                network_backend=PublicAddressBackend(),
            )
        return _pool


def webhook_post(url: str, *, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """POST without following redirects; the status and headers of the answer.

    Raises ``TargetRefused`` and httpcore's timeout, network and protocol errors.
    """
    seconds = settings.WEBHOOK_TIMEOUT_SECONDS
    timeouts = {"connect": seconds, "read": seconds, "write": seconds, "pool": seconds}
    with _connection_pool().stream(
        "POST", url, headers=headers, content=body, extensions={"timeout": timeouts}
    ) as response:
        received = 0
        for chunk in response.iter_stream():
            received += len(chunk)
            if received > MAX_RESPONSE_BYTES:
                break
        answer_headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in response.headers
        }
        return response.status, answer_headers
