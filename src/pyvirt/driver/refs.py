"""Identities of the objects a driver hands out: what libvirt's RPC carries for each object.

A public object (``Domain``, ``Network``, ...) holds one of these and nothing of the driver,
so the same object works over any driver, local or remote.
"""

from __future__ import annotations

from typing import NamedTuple


class DomainRef(NamedTuple):
    name: str
    uuid: str  # canonical lowercase "xxxxxxxx-xxxx-..."
    id: int  # -1 when inactive


class SnapshotRef(NamedTuple):
    domain: DomainRef
    name: str


class NetworkRef(NamedTuple):
    name: str
    uuid: str


class StoragePoolRef(NamedTuple):
    name: str
    uuid: str


class StorageVolRef(NamedTuple):
    pool: str  # pool name
    name: str
    key: str


class InterfaceRef(NamedTuple):
    name: str
    mac: str


class NodeDeviceRef(NamedTuple):
    name: str
