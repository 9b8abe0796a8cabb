"""Driver-side object model shared by every driver: domain objects, the domain list, jobs.

These are libvirt's ``virDomainObj`` / ``virDomainObjList`` (and, in ``snapshots``, the
snapshot tree). Drivers keep their state in them; the public API never sees them.
Names are exported lazily so importing one part does not import the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .domain import DomainObject
    from .domainlist import DomainList

__all__ = ["DomainObject", "DomainList"]

_WHERE = {"DomainObject": ".domain", "DomainList": ".domainlist"}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(where, __name__), name)
    globals()[name] = value
    return value
