"""Connection URIs in libvirt's grammar, and which URI a connection uses when none is given.

libvirt names a hypervisor connection ``driver[+transport]://[user@][host][:port]/path[?params]``
(``test:///default``, ``qemu:///system``, ``qemu+ssh://root@host/system?keyfile=k``). The
driver part picks the driver, a transport or a host means "go through a daemon", and the path
and query parameters belong to the driver. Parsing is kept apart from the registry so the shell
and the remote driver can reuse it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from .errors import ErrorDomain, ErrorNumber, virt_error

#: the embedded default when neither environment variable names a URI
DEFAULT_URI = "test:///default"

__all__ = ["URI", "parse_uri", "default_uri", "DEFAULT_URI"]


@dataclass(frozen=True)
class URI:
    """One parsed connection URI; ``str(uri)`` gives back the text it was parsed from."""

    text: str
    scheme: str  # "test", "qemu+ssh", ...
    driver: str  # "test", "qemu" (the scheme before '+')
    transport: str | None  # "ssh", "unix", "tcp", "tls" or None
    user: str | None = None
    host: str | None = None
    port: int | None = None
    path: str = ""
    params: tuple[tuple[str, str], ...] = field(default=())
    fragment: str | None = None

    @property
    def is_remote(self) -> bool:
        """True when the URI asks for a daemon (a transport or a server), as libvirt decides."""
        return self.transport is not None or bool(self.host)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The last value of query parameter ``name`` (libvirt keeps the last one)."""
        for key, value in reversed(self.params):
            if key == name:
                return value
        return default

    def __str__(self) -> str:
        return self.text


def parse_uri(text: str) -> URI:
    """Split ``text`` into its parts; malformed text is libvirt's "Unable to parse URI" error."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise virt_error(ErrorNumber.INTERNAL_ERROR, f"Unable to parse URI {text}", domain=ErrorDomain.URI) from None
    if not parts.scheme or "://" not in text:
        # libvirt only accepts hierarchical URIs here; anything else has no driver
        raise virt_error(ErrorNumber.NO_CONNECT, text, domain=ErrorDomain.NONE)
    scheme = parts.scheme.lower()
    driver, _, transport = scheme.partition("+")
    params: list[tuple[str, str]] = []
    if parts.query:
        for item in parts.query.replace(";", "&").split("&"):
            if not item:
                continue
            key, _, value = item.partition("=")
            params.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
    user = unquote(parts.username) if parts.username is not None else None
    return URI(
        text=text,
        scheme=scheme,
        driver=driver,
        transport=transport or None,
        user=user,
        host=parts.hostname or None,
        port=port,
        path=unquote(parts.path),
        params=tuple(params),
        fragment=parts.fragment or None,
    )


def default_uri(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The URI a caller gets with no URI: PYVIRT_DEFAULT_URI, LIBVIRT_DEFAULT_URI, test:///default."""
    env = os.environ if environ is None else environ
    for name in ("PYVIRT_DEFAULT_URI", "LIBVIRT_DEFAULT_URI"):
        value = env.get(name)
        if value:
            return value
    return DEFAULT_URI


def format_uri(
    scheme: str,
    path: str,
    *,
    user: str | None = None,
    host: str | None = None,
    port: int | None = None,
    params: tuple[tuple[str, str], ...] = (),
) -> str:
    """Build URI text from parts (the inverse of :func:`parse_uri`, for the remote driver)."""
    netloc = ""
    if user:
        netloc += quote(user, safe="") + "@"
    if host:
        netloc += f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='/')}" for k, v in params)
    return f"{scheme}://{netloc}{quote(path, safe='/')}" + (f"?{query}" if query else "")
