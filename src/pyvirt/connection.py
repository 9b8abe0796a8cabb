"""The public ``Connection``: one open hypervisor connection, whatever driver answers."""

from __future__ import annotations

from .interface import InterfaceAPI
from .network import NetworkAPI
from .nodedev import NodeDeviceAPI
from .storage import StorageAPI


class Connection(NetworkAPI, StorageAPI, InterfaceAPI, NodeDeviceAPI):
    """An open connection (libvirt's virConnect)."""
