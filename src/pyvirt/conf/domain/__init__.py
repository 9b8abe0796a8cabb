"""The domain format (``<domain>``): typed model, libvirt's generic parse, and its writer."""

from .model import (
    CPU,
    OS,
    Address,
    CharDevice,
    Clock,
    Controller,
    Devices,
    Disk,
    DomainDef,
    Features,
    Graphics,
    Interface,
    Video,
)

__all__ = [
    "DomainDef",
    "Devices",
    "Disk",
    "Interface",
    "Graphics",
    "Controller",
    "Video",
    "CharDevice",
    "OS",
    "CPU",
    "Clock",
    "Features",
    "Address",
]
