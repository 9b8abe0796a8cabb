"""libvirt's host capabilities document (``<capabilities>``): what this host can run.

Two halves: :class:`Capabilities`, a read/write view over a capabilities document (host CPU
and architecture, NUMA cells, security models, and the guests -- an OS type on an
architecture, with the domain types, emulators and machines that run it); and
:func:`build_capabilities`, which drivers use to *write* one from Python values (the test
driver describes its fake host, the QEMU driver the real one with its emulators).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..errors import ErrorDomain
from .base import Attr, ChildText, XMLDef, XMLView

__all__ = [
    "Capabilities",
    "CapsGuest",
    "GuestSpec",
    "CellSpec",
    "build_capabilities",
    "host_arch",
    "arch_wordsize",
]

#: word size of each architecture libvirt knows (the ones pyvirt is likely to meet)
_WORDSIZE = {
    "i686": 32, "x86_64": 64, "aarch64": 64, "armv7l": 32, "armv6l": 32, "ppc64": 64,
    "ppc64le": 64, "ppc": 32, "s390x": 64, "s390": 32, "riscv64": 64, "riscv32": 32,
    "mips": 32, "mipsel": 32, "mips64": 64, "mips64el": 64, "sparc": 32, "sparc64": 64,
    "loongarch64": 64,
}


#: guest features libvirt always writes with a default/toggle pair (as QEMU's driver does)
_TOGGLES = {
    "acpi": {"default": "on", "toggle": "yes"},
    "apic": {"default": "on", "toggle": "no"},
    "disksnapshot": {"default": "on", "toggle": "no"},
    "hap": {"default": "on", "toggle": "yes"},
}


def arch_wordsize(arch: str) -> int:
    return _WORDSIZE.get(arch, 64)


def host_arch() -> str:
    """This machine's architecture in libvirt's spelling (``x86_64``, ``aarch64`` ...)."""
    machine = platform.machine()
    return {"amd64": "x86_64", "arm64": "aarch64", "i386": "i686", "i586": "i686"}.get(machine.lower(), machine)


# ---------------------------------------------------------------------------------------------
# views


class CapsGuest(XMLView):
    """One ``<guest>``: an OS type on an architecture, and who can run it."""

    TAG = "guest"
    __slots__ = ()
    os_type = ChildText[str]("os_type")

    @property
    def arch(self) -> str:
        el = self._el.find("arch")
        return "" if el is None else el.get("name", "")

    @property
    def wordsize(self) -> int | None:
        text = self._el.findtext("arch/wordsize")
        return None if text is None else int(text)

    @property
    def emulator(self) -> str | None:
        return self._el.findtext("arch/emulator")

    @property
    def machines(self) -> list[str]:
        return [m.text or "" for m in self._el.findall("arch/machine")]

    @property
    def domain_types(self) -> list[str]:
        return [d.get("type", "") for d in self._el.findall("arch/domain")]

    @property
    def features(self) -> list[str]:
        feats = self._el.find("features")
        return [] if feats is None else [f.tag for f in feats if isinstance(f.tag, str)]


class HostCell(XMLView):
    TAG = "cell"
    __slots__ = ()
    id = Attr[int]("id", int)

    @property
    def memory_kib(self) -> int:
        return int(self._el.findtext("memory") or 0)

    @property
    def cpu_ids(self) -> list[int]:
        return [int(c.get("id", "0")) for c in self._el.findall("cpus/cpu")]


class Capabilities(XMLDef):
    """A host capabilities document."""

    TAG = "capabilities"
    SOURCE = "capabilities"
    ERROR_DOMAIN = ErrorDomain.CAPABILITIES
    __slots__ = ()

    @property
    def host_uuid(self) -> str | None:
        return self._el.findtext("host/uuid")

    @property
    def host_arch(self) -> str | None:
        return self._el.findtext("host/cpu/arch")

    @property
    def host_cpu_model(self) -> str | None:
        return self._el.findtext("host/cpu/model")

    @property
    def host_cpu_features(self) -> list[str]:
        feats = self._el.find("host/cpu/features")
        named = [f.get("name", "") for f in self._el.findall("host/cpu/feature")]
        return ([f.tag for f in feats] if feats is not None else []) + named

    @property
    def cells(self) -> list[HostCell]:
        return [HostCell(c) for c in self._el.findall("host/topology/cells/cell")]

    @property
    def secmodels(self) -> list[tuple[str, str]]:
        return [(s.findtext("model") or "", s.findtext("doi") or "") for s in self._el.findall("host/secmodel")]

    @property
    def guests(self) -> list[CapsGuest]:
        return [CapsGuest(g) for g in self._el.findall("guest")]

    def find_guest(self, os_type: str | None = None, arch: str | None = None, domain_type: str | None = None) -> CapsGuest | None:
        """The first guest matching all given criteria (how drivers pick an emulator)."""
        for guest in self.guests:
            if os_type is not None and guest.os_type != os_type:
                continue
            if arch is not None and guest.arch != arch:
                continue
            if domain_type is not None and domain_type not in guest.domain_types:
                continue
            return guest
        return None


# ---------------------------------------------------------------------------------------------
# builder


@dataclass
class GuestSpec:
    """What one ``<guest>`` says: OS type, arch, emulator, machines, domain types, features."""

    os_type: str = "hvm"
    arch: str = field(default_factory=host_arch)
    emulator: str | None = None
    machines: Sequence[str | tuple[str, str]] = ()  # name, or (name, canonical)
    domain_types: Sequence[str] = ("test",)
    features: Sequence[str | tuple[str, dict[str, str]]] = ()
    wordsize: int | None = None
    loader: str | None = None


@dataclass
class CellSpec:
    """One NUMA cell: memory in KiB, CPU ids, and page counts ``{size_kib: count}``."""

    memory_kib: int
    cpus: Sequence[int]
    pages: dict[int, int] = field(default_factory=dict)
    cores_per_socket: int | None = None
    socket: int | None = None


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: Any) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def build_capabilities(
    *,
    arch: str | None = None,
    host_uuid: str | None = None,
    cpu_model: str | None = None,
    cpu_vendor: str | None = None,
    cpu_features: Iterable[str] = (),
    cpu_feature_flags: Iterable[str] = (),
    page_sizes_kib: Iterable[int] = (4,),
    cells: Sequence[CellSpec] | None = None,
    power_management: Iterable[str] | None = (),
    iommu: bool | None = False,
    migration_transports: Iterable[str] | None = None,
    secmodels: Iterable[tuple[str, str]] = (("none", "0"),),
    guests: Iterable[GuestSpec] = (),
) -> Capabilities:
    """Write a capabilities document from Python values, in libvirt's element order.

    ``cpu_features`` are old-style flag elements (``<pae/>``), ``cpu_feature_flags`` the
    ``<feature name=...>`` list of a modelled CPU. ``cells=None`` describes one cell holding
    every CPU of this machine.
    """
    arch = arch or host_arch()
    root = etree.Element("capabilities")
    host = _sub(root, "host")
    if host_uuid:
        _sub(host, "uuid", host_uuid)
    cpu = _sub(host, "cpu")
    _sub(cpu, "arch", arch)
    if cpu_model:
        _sub(cpu, "model", cpu_model)
    if cpu_vendor:
        _sub(cpu, "vendor", cpu_vendor)
    flags = list(cpu_features)
    if flags:
        feats = _sub(cpu, "features")
        for name in flags:
            _sub(feats, name)
    for name in cpu_feature_flags:
        _sub(cpu, "feature", name=name)
    for size in page_sizes_kib:
        _sub(cpu, "pages", unit="KiB", size=size)
    if power_management is not None:
        pm = _sub(host, "power_management")
        for mode in power_management:
            _sub(pm, mode)
    if iommu is not None:
        _sub(host, "iommu", support="yes" if iommu else "no")
    if migration_transports is not None:
        mig = _sub(host, "migration_features")
        _sub(mig, "live")
        transports = list(migration_transports)
        if transports:
            uri = _sub(mig, "uri_transports")
            for t in transports:
                _sub(uri, "uri_transport", t)
    if cells is None:
        ncpu = os.cpu_count() or 1
        cells = [CellSpec(memory_kib=_host_memory_kib(), cpus=list(range(ncpu)))]
    if cells:
        topo = _sub(host, "topology")
        cells_el = _sub(topo, "cells", num=len(cells))
        for index, spec in enumerate(cells):
            cell = _sub(cells_el, "cell", id=index)
            _sub(cell, "memory", str(spec.memory_kib), unit="KiB")
            for size, count in spec.pages.items():
                _sub(cell, "pages", str(count), unit="KiB", size=size)
            cpus = _sub(cell, "cpus", num=len(spec.cpus))
            for pos, cpu_id in enumerate(spec.cpus):
                socket = spec.socket if spec.socket is not None else index
                core = pos if spec.cores_per_socket is None else pos % spec.cores_per_socket
                _sub(cpus, "cpu", id=cpu_id, socket_id=socket, die_id=0, core_id=core, siblings=cpu_id)
    for model, doi in secmodels:
        sec = _sub(host, "secmodel")
        _sub(sec, "model", model)
        _sub(sec, "doi", doi)
    for spec in guests:
        guest = _sub(root, "guest")
        _sub(guest, "os_type", spec.os_type)
        arch_el = _sub(guest, "arch", name=spec.arch)
        _sub(arch_el, "wordsize", str(spec.wordsize or arch_wordsize(spec.arch)))
        if spec.emulator:
            _sub(arch_el, "emulator", spec.emulator)
        if spec.loader:
            _sub(arch_el, "loader", spec.loader)
        for machine in spec.machines:
            if isinstance(machine, tuple):
                _sub(arch_el, "machine", machine[0], canonical=machine[1])
            else:
                _sub(arch_el, "machine", machine)
        for dtype in spec.domain_types:
            _sub(arch_el, "domain", type=dtype)
        if spec.features:
            feats = _sub(guest, "features")
            for feat in spec.features:
                if isinstance(feat, tuple):
                    _sub(feats, feat[0], **feat[1])
                else:
                    _sub(feats, feat, **_TOGGLES.get(feat, {}))
    return Capabilities(root)


def _host_memory_kib() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
