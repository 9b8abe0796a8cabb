"""libvirt's XML formats as typed models: parse, post-parse, validate, format.

Public entry points (each has ``from_xml(text) -> model`` and ``model.to_xml() -> str``):
``DomainDef``, ``SnapshotDef``, ``NetworkDef``, ``StoragePoolDef``, ``StorageVolDef``,
``Capabilities``. They are imported lazily so that using one format does not load them all.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "DomainDef": ".domain",
    "SnapshotDef": ".snapshot",
    "NetworkDef": ".network",
    "StoragePoolDef": ".storage",
    "StorageVolDef": ".storage",
    "Capabilities": ".capabilities",
    "InterfaceDef": ".interface",
    "NodeDeviceDef": ".nodedev",
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
