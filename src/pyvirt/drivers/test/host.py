"""The fake host behind the test driver: capabilities, node info, hostname, version, sysinfo.

All values are libvirt's test hypervisor's: an i686 host with ``pae``/``nonpae``, four page
sizes, the NUMA cells of the state, the ``testSecurity`` model, and hvm and xen guests run by
``/usr/bin/test-hv``. The hostname is the real machine's, found as libvirt finds it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...driver.connect import NodeInfo
from ...errors import ErrorNumber
from .state import MAX_VCPUS, check_flags, test_error

if TYPE_CHECKING:
    from ...uri import URI
    from .state import TestState

__all__ = ["TestHost", "build_capabilities", "SYSINFO_XML", "HYPERVISOR_VERSION", "LIB_VERSION"]

#: virConnectGetVersion of the test hypervisor ("TEST 0.0.2")
HYPERVISOR_VERSION = 2
#: the libvirt release whose behaviour pyvirt reproduces (virConnectGetLibVersion)
LIB_VERSION = 9_000_000

SYSINFO_XML = """\
<sysinfo type='smbios'>
  <bios>
    <entry name='vendor'>LENOVO</entry>
    <entry name='version'>G4ETA1WW (2.61 )</entry>
    <entry name='date'>05/07/2014</entry>
    <entry name='release'>2.61</entry>
  </bios>
</sysinfo>
"""

_PAGE_SIZES = (4, 8, 2048, 1024 * 1024)  # KiB


def build_capabilities(state: TestState) -> str:
    """The capabilities document of the test host, in libvirt's layout."""
    out = [
        "<capabilities>",
        "",
        "  <host>",
        "    <cpu>",
        "      <arch>i686</arch>",
        "      <features>",
        "        <pae/>",
        "        <nonpae/>",
        "      </features>",
    ]
    out += [f"      <pages unit='KiB' size='{size}'/>" for size in _PAGE_SIZES]
    out += [
        "    </cpu>",
        "    <power_management/>",
        "    <iommu support='no'/>",
        "    <topology>",
        f"      <cells num='{len(state.cells)}'>",
    ]
    for index, cell in enumerate(state.cells):
        # cell 1 uses the second page size as its base pages, the others the first
        base = _PAGE_SIZES[1] if index == 1 else _PAGE_SIZES[0]
        out.append(f"        <cell id='{index}'>")
        out.append(f"          <memory unit='KiB'>{cell.memory}</memory>")
        out.append(f"          <pages unit='KiB' size='{base}'>{cell.memory // base}</pages>")
        out += [f"          <pages unit='KiB' size='{size}'>0</pages>" for size in _PAGE_SIZES[2:]]
        out.append(f"          <cpus num='{len(cell.cpus)}'>")
        for pos, cpu in enumerate(cell.cpus):
            out.append(
                f"            <cpu id='{cpu}' socket_id='{index}' die_id='0' core_id='{pos}' siblings='{cpu}'/>"
            )
        out.append("          </cpus>")
        out.append("        </cell>")
    out += [
        "      </cells>",
        "    </topology>",
        "    <secmodel>",
        "      <model>testSecurity</model>",
        "      <doi></doi>",
        "    </secmodel>",
        "  </host>",
        "",
    ]
    for os_type in ("hvm", "xen"):
        out += [
            "  <guest>",
            f"    <os_type>{os_type}</os_type>",
            "    <arch name='i686'>",
            "      <wordsize>32</wordsize>",
            "      <emulator>/usr/bin/test-hv</emulator>",
            "      <domain type='test'/>",
            "    </arch>",
            "    <features>",
            "      <pae/>",
            "      <nonpae/>",
            "    </features>",
            "  </guest>",
            "",
        ]
    out.append("</capabilities>")
    return "\n".join(out) + "\n"


def host_name() -> str:
    """The machine's name as libvirt's virGetHostname finds it (FQDN when resolvable)."""
    name = socket.gethostname()
    if "." in name and not name.startswith("localhost"):
        return name
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_UNSPEC, 0, 0, socket.AI_CANONNAME)
    except OSError:
        return name
    for info in infos:
        if info[3]:
            return info[3]
    return name


class TestHost:
    """Host-level calls of the test driver; needs ``self._state`` and ``self._uri``."""

    _state: TestState
    _uri: URI
    _on_close: Callable[[], None] | None

    def connect_get_type(self) -> str:
        return "TEST"

    def connect_get_uri(self) -> str:
        return str(self._uri)

    def connect_get_version(self) -> int:
        return HYPERVISOR_VERSION

    def connect_get_lib_version(self) -> int:
        return LIB_VERSION

    def connect_get_hostname(self) -> str:
        return host_name()

    def connect_get_capabilities(self) -> str:
        return self._state.capabilities_xml()

    def connect_get_sysinfo(self, flags: int = 0) -> str:
        check_flags(flags, 0, "testConnectGetSysinfo")
        return SYSINFO_XML

    def connect_get_max_vcpus(self, type: str | None = None) -> int:
        return MAX_VCPUS

    def connect_is_alive(self) -> bool:
        return True

    def connect_is_secure(self) -> bool:
        return True

    def connect_is_encrypted(self) -> bool:
        return False

    def node_get_info(self) -> NodeInfo:
        return self._state.node_info

    def node_get_free_memory(self) -> int:
        return sum(cell.free_memory for cell in self._state.cells)

    def node_get_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        cells = self._state.cells
        if start_cell >= len(cells):
            raise test_error(ErrorNumber.INVALID_ARG, "Range exceeds available cells")
        return [cell.memory for cell in cells[start_cell : start_cell + max(max_cells, 0)]]
