"""Who may ask the server, and what its answers reveal about the machine.

Three guards for `newssearch serve` (see docs/server.md for the model):

* **Host check** (DNS rebinding): a web page on evil.example can make its
  name resolve to 127.0.0.1 and then read the server's answers as
  same-origin. Such a request still says ``Host: evil.example``, so only Host
  names the server was bound to (or given with ``--allow-host``) are served.
  An IP literal cannot be rebound, so a server bound to every interface
  (0.0.0.0, ::) accepts any IP literal besides.
* **API key** (``--api-key``): for a server bound beyond loopback. Sent as
  ``Authorization: Bearer KEY``, ``X-API-Key: KEY`` or HTTP Basic with KEY
  as the password (so a browser can log in to the search page).
* **Public paths**: answers show where an article came from relative to the
  indexed folder, never the server's absolute path.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from pathlib import PurePath
from typing import Iterable

#: Headers on every answer of the server (see docs/server.md).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: Names a loopback-bound server answers to besides its address.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: Addresses that mean "every interface".
WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    return host in LOOPBACK_NAMES or (_is_ip(host) and ipaddress.ip_address(host).is_loopback)


def host_name(header: str) -> str:
    """The name of a Host header without its port, lowercased:
    ``[::1]:8000`` → ``::1``, ``Example.org:80`` → ``example.org``."""
    header = header.strip().lower()
    if header.startswith("["):  # an IPv6 literal
        return header[1:header.find("]")] if "]" in header else header[1:]
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return header.rstrip(".")


class HostCheck:
    """Decides whether a Host header names this server (see the module)."""

    def __init__(self, bound: str, allowed: Iterable[str] = ()):
        bound = host_name(bound)
        self.names = {bound, *(host_name(a) for a in allowed)}
        if is_loopback(bound):
            self.names |= LOOPBACK_NAMES
        self.any_ip = bound in WILDCARDS
        self.anything = "*" in self.names

    def allows(self, header: str | None) -> bool:
        if self.anything:
            return True
        if not header:  # HTTP/1.0 without Host: no browser sends that
            return False
        name = host_name(header)
        return name in self.names or (self.any_ip and _is_ip(name))


def key_matches(expected: str, headers) -> bool:
    """True if the request carries `expected` as a bearer token, an
    X-API-Key header or a Basic password (compared in constant time)."""
    offered = [headers.get("x-api-key", "")]
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        offered.append(value.strip())
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        offered.append(decoded.partition(":")[2])
    wanted = expected.encode("utf-8")
    return any(hmac.compare_digest(o.encode("utf-8"), wanted) for o in offered if o)


def public_path(path: str | None, roots: Iterable[str]) -> str | None:
    """`path` relative to the indexed folder it lies in (``business/001.txt``);
    the file name alone if it lies in none. Never an absolute path."""
    if not path:
        return path
    candidate = PurePath(path)
    if not candidate.is_absolute():
        return path
    for root in sorted(roots, key=len, reverse=True):  # the deepest root first
        root_path = PurePath(root)
        if candidate == root_path:  # a single indexed file
            return candidate.name
        if candidate.is_relative_to(root_path):
            return candidate.relative_to(root_path).as_posix()
    return candidate.name
