"""Which driver answers a URI: built-ins plus whatever is installed under ``pyvirt.drivers``.

A third-party driver ships a package with an entry point in the group ``pyvirt.drivers``
(``name = "module:Class"``, the name being the URI's driver part), so ``pip install`` is all
it takes. The built-ins (``test``, ``qemu``) are listed here as well, so a source checkout
that was never installed still opens ``test:///default`` and ``qemu:///...``; an entry point
never replaces a built-in.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from .errors import ErrorDomain, ErrorNumber, virt_error
from .uri import URI

if TYPE_CHECKING:
    from .driver import Driver

__all__ = ["driver_class", "register", "available", "open_driver"]

#: drivers that come with pyvirt, by URI driver name
BUILTIN: dict[str, str] = {
    "test": "pyvirt.drivers.test:TestDriver",
    "qemu": "pyvirt.drivers.qemu:QemuDriver",
}

#: what handles URIs with a transport or a host (a daemon connection)
REMOTE = "remote"

_lock = threading.Lock()
#: every driver (built-ins, entry points, run-time registrations); built on first need
_targets: dict[str, str | type[Driver]] | None = None
#: run-time registrations, which win over everything else
_registered: dict[str, str | type[Driver]] = {}


def entry_points(group: str) -> Any:
    """The installed entry points of ``group``.

    :mod:`importlib.metadata` costs about 8 ms to import and scans every installed
    distribution, so it is only imported for a driver name that is neither built in nor
    registered at run time (a built-in is never replaced by an entry point anyway).
    """
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def _load_targets() -> dict[str, str | type[Driver]]:
    global _targets
    with _lock:
        if _targets is None:
            targets: dict[str, str | type[Driver]] = dict(BUILTIN)
            for ep in entry_points(group="pyvirt.drivers"):
                targets.setdefault(ep.name, ep.value)
            targets.update(_registered)
            _targets = targets
        return _targets


def register(name: str, driver: type[Driver] | str) -> None:
    """Add or replace a driver at run time (tests, embedding); ``driver`` may be "mod:Class"."""
    with _lock:
        _registered[name] = driver
        if _targets is not None:
            _targets[name] = driver


def available() -> list[str]:
    """Names of every known driver (the URI driver parts it can open)."""
    return sorted(_load_targets())


def driver_class(name: str) -> type[Driver] | None:
    """The driver class registered under ``name``, imported on first use; None if unknown."""
    targets = _targets
    if targets is None:
        targets = _registered if name in _registered else BUILTIN if name in BUILTIN else _load_targets()
    target = targets.get(name)
    if target is None or isinstance(target, type):
        return target
    module_name, _, attr = target.partition(":")
    cls: type[Driver] = getattr(importlib.import_module(module_name), attr)
    if targets is not BUILTIN:
        targets[name] = cls
    return cls


def open_driver(uri: URI, flags: int = 0, auth: object = None) -> Driver:
    """A driver instance connected to ``uri`` (libvirt's virConnectOpen driver probing)."""
    name = REMOTE if uri.is_remote else uri.driver
    cls = driver_class(name)
    if cls is None:
        raise virt_error(ErrorNumber.NO_CONNECT, str(uri), domain=ErrorDomain.NONE)
    driver = cls()
    if auth is None:
        driver.connect_open(uri, flags)
    else:
        driver.connect_open(uri, flags, auth=auth)  # type: ignore[call-arg]
    return driver
