"""The one interface every hypervisor driver implements, and the registry of drivers by URI scheme.

Methods mirror libvirt's public C API one to one (``virDomainCreateWithFlags`` ->
``domain_create(dom, flags)``), take object identities (:mod:`pyvirt.driver.refs`) and integer
flags, and return identities, plain values or XML text. That is exactly what libvirt's RPC
carries, so the remote driver and the daemon map calls without translation.

A method a driver does not implement raises libvirt's VIR_ERR_NO_SUPPORT
("this function is not supported by the connection driver: virXxx").

The interface is split by object family, one module each (``connect``, ``domain``,
``snapshot``, ``network``, ``storage``, ``interface``, ``nodedev``); :class:`Driver` combines
them.
"""

from __future__ import annotations

from .connect import ConnectDriver
from .domain import DomainDriver
from .interface import InterfaceDriver
from .network import NetworkDriver
from .nodedev import NodeDeviceDriver
from .refs import (
    DomainRef,
    InterfaceRef,
    NetworkRef,
    NodeDeviceRef,
    SnapshotRef,
    StoragePoolRef,
    StorageVolRef,
)
from .snapshot import SnapshotDriver
from .storage import StorageDriver


class Driver(
    ConnectDriver,
    DomainDriver,
    SnapshotDriver,
    NetworkDriver,
    StorageDriver,
    InterfaceDriver,
    NodeDeviceDriver,
):
    """A connection to one hypervisor: what ``pyvirt.open(uri)`` talks to."""


__all__ = [
    "Driver",
    "DomainRef",
    "SnapshotRef",
    "NetworkRef",
    "StoragePoolRef",
    "StorageVolRef",
    "InterfaceRef",
    "NodeDeviceRef",
]
