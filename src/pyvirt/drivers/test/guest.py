"""What the test hypervisor pretends to know about a running guest: stats, time, agent calls.

libvirt's test driver answers these with fixed or clock-derived numbers so that tools built on
them (``virsh domstats``, ``domifaddr``, ``dommemstat``, monitoring agents) can be tested
without a guest. The values and the errors are the test driver's own: every figure here has
the same formula, so a test written against libvirt's test driver passes against pyvirt's.
"""

from __future__ import annotations

import ipaddress
import os
import time
from typing import TYPE_CHECKING, Any

from lxml import etree

from ...enums import (
    DomainEventStoppedDetail,
    DomainEventType,
    DomainLifecycle,
    DomainLifecycleAction,
    DomainShutoffReason,
    DomainState,
)
from ...errors import ErrorDomain, ErrorNumber, virt_error
from .domains import _lifecycle, stop_state
from .state import check_flags, test_error

if TYPE_CHECKING:
    from ...driver.refs import DomainRef
    from ...objects.domain import DomainObject
    from .state import TestState

__all__ = ["TestDomainGuest"]

#: the guest clock every new domain starts with (priv->seconds in libvirt)
INITIAL_GUEST_TIME = 627319920
_CORE_MAGIC = b"TestGuestMagic\0"
_DUMP_CRASH = 1
_SIGNAL_LAST = 65  # VIR_DOMAIN_PROCESS_SIGNAL_LAST: nop .. sys, then rt0 .. rt32
_IFADDR_SOURCES = 3  # lease, agent, arp
_MOUNTS = ("/", "/boot")
#: the XML spelling of each action (libvirt writes RESTART_RENAME as "rename-restart")
_ACTIONS = {a: "rename-restart" if a == DomainLifecycleAction.RESTART_RENAME else a.name.lower().replace("_", "-")
            for a in DomainLifecycleAction}
_LIFECYCLE_TAGS = {
    DomainLifecycle.POWEROFF: "on_poweroff",
    DomainLifecycle.REBOOT: "on_reboot",
    DomainLifecycle.CRASH: "on_crash",
}


def _now_us() -> int:
    return time.time_ns() // 1000


def _disk_by_name(definition: Any, path: str) -> etree._Element | None:
    """virDomainDiskByName: a disk by target name or by source path."""
    devices = definition.element.find("devices")
    if devices is None:
        return None
    for disk in devices.iterchildren("disk"):
        target = disk.find("target")
        if target is not None and target.get("dev") == path:
            return disk
        source = disk.find("source")
        if source is not None and path and path in (source.get("file"), source.get("dev"), source.get("dir")):
            return disk
    return None


def _interfaces(definition: Any) -> list[etree._Element]:
    devices = definition.element.find("devices")
    return [] if devices is None else list(devices.iterchildren("interface"))


def _guest(obj: DomainObject) -> dict[str, Any]:
    """Per-domain guest facts (libvirt's testDomainObjPrivate): clock and frozen mounts."""
    data = obj.driver_data.get("guest")
    if data is None:
        data = obj.driver_data.setdefault(
            "guest", {"seconds": INITIAL_GUEST_TIME, "nseconds": 0, "frozen": [False, False]}
        )
    return data  # type: ignore[no-any-return]


class TestDomainGuest:
    """Guest-level domain calls of the test driver (needs ``self._state``, ``self._obj``)."""

    _state: TestState

    def _obj(self, dom: DomainRef) -> DomainObject:  # provided by TestDomains
        raise NotImplementedError

    def _active(self, dom: DomainRef) -> DomainObject:
        obj = self._obj(dom)
        if not obj.is_active():
            raise virt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", domain=ErrorDomain.DOMAIN)
        return obj

    # -- vCPUs and scheduler ---------------------------------------------------------------------

    def domain_get_vcpus(self, dom: DomainRef) -> list[tuple[int, int, int, int]]:
        """virDomainGetVcpus: (number, state, cpu_time ns, host cpu) per online vCPU."""
        obj = self._obj(dom)
        if not obj.is_active():
            raise test_error(ErrorNumber.OPERATION_INVALID, "cannot list vcpus for an inactive domain")
        base = _now_us() // 10
        masks = [self._vcpu_mask(obj.definition, i) for i in range(obj.definition.vcpus)]  # type: ignore[attr-defined]
        return [(i, 1, base, max(mask) if mask else -1) for i, mask in enumerate(masks)]

    def domain_get_scheduler_type(self, dom: DomainRef) -> tuple[str, int]:
        return "fair", 1

    def domain_get_scheduler_parameters(self, dom: DomainRef, flags: int = 0) -> dict[str, int]:
        check_flags(flags, 0, "testDomainGetSchedulerParametersFlags")
        self._obj(dom)
        return {"weight": 50}

    def domain_set_scheduler_parameters(self, dom: DomainRef, params: dict[str, Any], flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainSetSchedulerParametersFlags")
        for key in params:
            if key != "weight":
                raise virt_error(
                    ErrorNumber.INVALID_ARG, f"parameter '{key}' not supported", domain=ErrorDomain.NONE
                )
        self._obj(dom)

    # -- statistics ----------------------------------------------------------------------------

    def domain_block_stats(self, dom: DomainRef, path: str) -> tuple[int, int, int, int, int]:
        """virDomainBlockStats: rd_req, rd_bytes, wr_req, wr_bytes, errs."""
        if not path:
            raise test_error(ErrorNumber.OPERATION_UNSUPPORTED, "summary statistics are not supported yet")
        obj = self._active(dom)
        if _disk_by_name(obj.definition, path) is None:
            raise test_error(ErrorNumber.INVALID_ARG, f"invalid path: {path}")
        base = _now_us()
        return base // 10, base // 20, base // 30, base // 40, base // 2_000_000

    def domain_interface_stats(self, dom: DomainRef, device: str) -> tuple[int, ...]:
        """virDomainInterfaceStats by target name or MAC: rx bytes/packets/errs/drop, tx the same."""
        obj = self._active(dom)
        found = False
        for net in _interfaces(obj.definition):
            target, mac = net.find("target"), net.find("mac")
            if (target is not None and target.get("dev") == device) or (
                mac is not None and (mac.get("address") or "").lower() == device.lower()
            ):
                found = True
                break
        if not found:
            raise virt_error(
                ErrorNumber.INVALID_ARG, f"'{device}' is not a known interface", domain=ErrorDomain.DOMAIN
            )
        b = _now_us()
        return (b // 10, b // 100, b // 1_000_000, b // 2_000_000, b // 20, b // 110, b // 3_000_000, b // 4_000_000)

    def domain_memory_stats(self, dom: DomainRef, flags: int = 0) -> dict[str, int]:
        """virDomainMemoryStats: balloon figures derived from the current memory."""
        check_flags(flags, 0, "testDomainMemoryStats")
        obj = self._active(dom)
        devices = obj.definition.element.find("devices")
        balloon = None if devices is None else devices.find("memballoon")
        if balloon is None or balloon.get("model") == "none":
            return {}
        cur = obj.definition.current_memory or 0
        return {
            "actual": cur,
            "swap_in": 0,
            "swap_out": 0,
            "major_fault": 0,
            "minor_fault": 0,
            "unused": cur // 2,
            "available": cur,
            "usable": cur // 2,
            "last_update": INITIAL_GUEST_TIME,
            "disk_caches": cur // 8,
            "hugetlb_pgalloc": 0,
            "hugetlb_pgfail": 0,
            "rss": cur // 2,
        }

    def domain_get_block_info(self, dom: DomainRef, path: str, flags: int = 0) -> tuple[int, int, int]:
        """virDomainGetBlockInfo: capacity, allocation, physical (fixed test figures)."""
        check_flags(flags, 0, "testDomainGetBlockInfo")
        obj = self._obj(dom)
        disk = _disk_by_name(obj.definition, path)
        if disk is None:
            raise test_error(ErrorNumber.INVALID_ARG, f"invalid path {path} not assigned to domain")
        source = disk.find("source")
        if source is None or not any(source.get(a) for a in ("file", "dev", "dir", "name", "volume")):
            raise test_error(ErrorNumber.INVALID_ARG, f"disk '{path}' does not currently have a source assigned")
        return 1099506450432, 1099511627776, 1099511627776

    def domain_get_disk_errors(self, dom: DomainRef, flags: int = 0) -> dict[str, int]:
        check_flags(flags, 0, "testDomainGetDiskErrors")
        obj = self._active(dom)
        devices = obj.definition.element.find("devices")
        disks = [] if devices is None else list(devices.iterchildren("disk"))
        out = {}
        for i, disk in enumerate(disks):
            target = disk.find("target")
            out[target.get("dev") if target is not None else ""] = (i % 2) + 1
        return out

    # -- guest clock and control -----------------------------------------------------------------

    def domain_get_time(self, dom: DomainRef, flags: int = 0) -> tuple[int, int]:
        check_flags(flags, 0, "testDomainGetTime")
        obj = self._obj(dom)
        if obj.state != DomainState.RUNNING:
            raise test_error(ErrorNumber.OPERATION_INVALID, "domain is not running")
        g = _guest(obj)
        return g["seconds"], g["nseconds"]

    def domain_set_time(self, dom: DomainRef, seconds: int, nseconds: int, flags: int = 0) -> None:
        check_flags(flags, 1, "testDomainSetTime")
        obj = self._active(dom)
        with obj.lock:
            g = _guest(obj)
            g["seconds"], g["nseconds"] = int(seconds), int(nseconds)

    def domain_get_control_info(self, dom: DomainRef, flags: int = 0) -> tuple[int, int, int]:
        """(state, details, state time): derived from the guest clock, as the test driver does."""
        check_flags(flags, 0, "testDomainGetControlInfo")
        obj = self._active(dom)
        s = _guest(obj)["seconds"]
        if 0 < s < 10000:
            return 1, 0, s
        if 10000 <= s < 30000:
            return 2, 0, s - 10000
        if 30000 <= s < 60000:
            return 3, s % 4, s - 30000
        return 0, 0, 0

    # -- guest agent style calls ------------------------------------------------------------------

    def domain_fs_freeze(self, dom: DomainRef, mountpoints: list[str] | None = None, flags: int = 0) -> int:
        check_flags(flags, 0, "testDomainFSFreeze")
        obj = self._active(dom)
        with obj.lock:
            frozen = _guest(obj)["frozen"]
            if not mountpoints:
                count = 2 - sum(frozen)
                frozen[:] = [True, True]
                return count
            new = list(frozen)
            count = 0
            for mount in mountpoints:
                if mount not in _MOUNTS:
                    raise test_error(ErrorNumber.OPERATION_INVALID, f"mount point not found: {mount}")
                i = _MOUNTS.index(mount)
                if not new[i]:
                    new[i] = True
                    count += 1
            frozen[:] = new
            return count

    def domain_fs_thaw(self, dom: DomainRef, mountpoints: list[str] | None = None, flags: int = 0) -> int:
        check_flags(flags, 0, "testDomainFSThaw")
        obj = self._active(dom)
        with obj.lock:
            frozen = _guest(obj)["frozen"]
            if not mountpoints:
                count = sum(frozen)
                frozen[:] = [False, False]
                return count
            new = list(frozen)
            count = 0
            for mount in mountpoints:
                if mount not in _MOUNTS:
                    raise test_error(ErrorNumber.OPERATION_INVALID, f"mount point not found: {mount}")
                i = _MOUNTS.index(mount)
                if new[i]:
                    new[i] = False
                    count += 1
            frozen[:] = new
            return count

    def domain_fs_trim(self, dom: DomainRef, mountpoint: str | None = None, minimum: int = 0, flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainFSTrim")
        self._active(dom)
        if mountpoint and mountpoint not in _MOUNTS:
            raise test_error(ErrorNumber.OPERATION_INVALID, f"mount point not found: {mountpoint}")

    def domain_get_fs_info(self, dom: DomainRef, flags: int = 0) -> list[tuple[str, str, str, list[str]]]:
        """(mountpoint, name, fstype, device aliases): '/' and '/boot' on the first disk."""
        check_flags(flags, 0, "testDomainGetFSInfo")
        obj = self._active(dom)
        devices = obj.definition.element.find("devices")
        for disk in [] if devices is None else devices.iterchildren("disk"):
            if disk.get("device", "disk") == "disk":
                target = disk.find("target")
                name = target.get("dev", "") if target is not None else ""
                return [("/", f"{name}1", "ext4", [name]), ("/boot", f"{name}2", "ext4", [name])]
        return []

    def domain_interface_addresses(self, dom: DomainRef, source: int = 0, flags: int = 0) -> dict[str, Any]:
        """virDomainInterfaceAddresses: one address per interface, taken from its network."""
        check_flags(flags, 0, "testDomainInterfaceAddresses")
        if source >= _IFADDR_SOURCES:
            raise test_error(ErrorNumber.ARGUMENT_UNSUPPORTED, f"Unknown IP address data source {source}")
        obj = self._active(dom)
        out: dict[str, Any] = {}
        for i, net in enumerate(_interfaces(obj.definition)):
            target, mac = net.find("target"), net.find("mac")
            name = target.get("dev") if target is not None else None
            hwaddr = mac.get("address") if mac is not None else None
            if net.get("type") == "network":
                src = net.find("source")
                addr = self._network_address(src.get("network") if src is not None else None, 20 * (obj.id - 1) + i + 1)
            else:
                addr = {"addr": f"192.168.0.{1 + i}", "prefix": 24, "type": 0}
            out[name or ""] = {"addrs": [addr], "hwaddr": hwaddr}
        return out

    def _network_address(self, network: str | None, offset: int) -> dict[str, Any]:
        nets = getattr(self._state, "networks", None)
        obj = nets.by_name(network) if nets is not None and network else None
        if obj is None:
            raise virt_error(
                ErrorNumber.NO_NETWORK, f"no network with matching name '{network}'", domain=ErrorDomain.TEST
            )
        ip = obj.definition.element.find("ip")
        if ip is None:
            raise test_error(ErrorNumber.INTERNAL_ERROR, f"network '{network}' has no IP address")
        family = ip.get("family") or "ipv4"
        address = ipaddress.ip_address(ip.get("address"))
        if ip.get("prefix"):
            prefix = int(ip.get("prefix"))
        elif ip.get("netmask"):
            prefix = ipaddress.ip_network(f"0.0.0.0/{ip.get('netmask')}").prefixlen
        else:
            prefix = 64 if family == "ipv6" else 24
        rng = ip.find("dhcp/range")
        start = ipaddress.ip_address(rng.get("start")) if rng is not None else address
        return {"addr": str(start + offset), "prefix": prefix, "type": 1 if family == "ipv6" else 0}

    def domain_get_security_label(self, dom: DomainRef) -> tuple[str, bool]:
        obj = self._obj(dom)
        return ("libvirt-test", True) if obj.is_active() else ("", False)

    def node_get_security_model(self) -> tuple[str, str]:
        return "testSecurity", ""

    def domain_inject_nmi(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainInjectNMI")
        self._active(dom)

    def domain_send_process_signal(self, dom: DomainRef, pid: int, signum: int, flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainSendProcessSignal")
        if pid != 1:
            raise test_error(ErrorNumber.INVALID_ARG, "only sending a signal to pid 1 is supported")
        if signum >= _SIGNAL_LAST:
            raise test_error(ErrorNumber.INVALID_ARG, f"signum value {signum} is out of range")
        self._obj(dom)

    def domain_set_user_password(self, dom: DomainRef, user: str, password: str, flags: int = 0) -> None:
        check_flags(flags, 1, "testDomainSetUserPassword")
        self._active(dom)

    def domain_memory_peek(self, dom: DomainRef, start: int, size: int, flags: int = 0) -> bytes:
        """virDomainMemoryPeek: the test guest's memory holds each address's low byte."""
        check_flags(flags, 1 | 2, "testDomainMemoryPeek")
        if flags == 3:
            text = "Flags 'VIR_MEMORY_VIRTUAL' and 'VIR_MEMORY_PHYSICAL' are mutually exclusive"
            raise virt_error(ErrorNumber.INVALID_ARG, text, domain=ErrorDomain.DOMAIN, message=text)
        if flags not in (1, 2):
            raise test_error(
                ErrorNumber.INVALID_ARG, "flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL"
            )
        self._active(dom)
        return bytes((start + i) & 0xFF for i in range(size))

    def domain_get_launch_security_info(self, dom: DomainRef, flags: int = 0) -> dict[str, object]:
        check_flags(flags, 0, "testDomainGetLaunchSecurityInfo")
        return {}

    def node_get_free_pages(self, pages: list[int], start_cell: int, cell_count: int, flags: int = 0) -> list[int]:
        """Free page counts per cell and size: the test driver's fixed 13, 33, 73, ... series."""
        check_flags(flags, 0, "testNodeGetFreePages")
        out, x = [], 6
        for _ in range(cell_count):
            for _ in pages:
                x = x * 2 + 7
                out.append(x)
        return out

    # -- dumps and lifecycle actions --------------------------------------------------------------

    def domain_core_dump(self, dom: DomainRef, to: str, dumpformat: int = 0, flags: int = 0) -> None:
        """Write the test driver's dump header; with CRASH the domain stops as crashed."""
        check_flags(flags, _DUMP_CRASH, "testDomainCoreDumpWithFormat")
        from .domains import JOB_TIMEOUT

        obj = self._obj(dom)
        with obj.job("dump", timeout=JOB_TIMEOUT):
            if not obj.is_active():
                raise virt_error(
                    ErrorNumber.OPERATION_INVALID, "domain is not running", domain=ErrorDomain.DOMAIN
                )
            try:
                fd = os.open(to, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            except OSError as exc:
                raise test_error(
                    ErrorNumber.SYSTEM_ERROR,
                    f"domain '{dom.name}' coredump: failed to open {to}: {exc.strerror}",
                ) from None
            with os.fdopen(fd, "wb") as fh:
                fh.write(_CORE_MAGIC)
            if dumpformat != 0:
                raise test_error(ErrorNumber.OPERATION_UNSUPPORTED, "kdump-compressed format is not supported here")
            if flags & _DUMP_CRASH:
                stop_state(obj, DomainShutoffReason.CRASHED)
                self._state.events.emit(
                    _lifecycle(obj, DomainEventType.STOPPED, DomainEventStoppedDetail.CRASHED)
                )
                if not obj.persistent:
                    self._state.domains.remove(obj)

    def domain_set_lifecycle_action(self, dom: DomainRef, type: int, action: int, flags: int = 0) -> None:
        """Change on_poweroff / on_reboot / on_crash in the live and/or persistent definition."""
        check_flags(flags, 3, "testDomainSetLifecycleAction")
        if type not in _LIFECYCLE_TAGS or action not in _ACTIONS:
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"Lifecycle event '{type}' doesn't support '{action}' action",
                domain=ErrorDomain.DOMAIN,
            )
        if type != DomainLifecycle.CRASH and action in (
            DomainLifecycleAction.COREDUMP_DESTROY,
            DomainLifecycleAction.COREDUMP_RESTART,
        ):
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"Lifecycle event '{_LIFECYCLE_TAGS[DomainLifecycle(type)][3:]}' doesn't support "
                f"'{_ACTIONS[DomainLifecycleAction(action)]}' action",
                domain=ErrorDomain.DOMAIN,
            )
        from .domains import JOB_TIMEOUT, TestDomains

        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            live_def, config_def = TestDomains._defs(obj, flags)
            with obj.lock:
                for definition in (live_def, config_def):
                    if definition is not None:
                        el = definition.element.find(_LIFECYCLE_TAGS[DomainLifecycle(type)])
                        if el is None:
                            from ...conf.domain.tables import insert_child

                            el = etree.Element(_LIFECYCLE_TAGS[DomainLifecycle(type)])
                            insert_child(definition.element, el)
                        el.text = _ACTIONS[DomainLifecycleAction(action)]

    def domain_set_memory_stats_period(self, dom: DomainRef, period: int, flags: int = 0) -> None:
        check_flags(flags, 3, "testDomainSetMemoryStatsPeriod")
        from .domains import TestDomains

        obj = self._obj(dom)
        definition, _ = TestDomains._one_def(obj, flags)
        devices = definition.element.find("devices")
        balloon = None if devices is None else devices.find("memballoon")
        if balloon is None or balloon.get("model") == "none":
            raise test_error(
                ErrorNumber.INTERNAL_ERROR,
                "No memory balloon device configured, can not set the collection period",
            )
        with obj.lock:
            stats = balloon.find("stats")
            if stats is None:
                stats = etree.Element("stats")
                balloon.insert(0, stats)
            stats.set("period", str(int(period)))

    # -- host -------------------------------------------------------------------------------------

    def node_get_cpu_stats(self, cpu: int = -1, flags: int = 0) -> dict[str, int]:
        check_flags(flags, 0, "testNodeGetCPUStats")
        return {"user": 9797400000, "kernel": 34678723400000, "idle": 87264900000, "iowait": 763600000}

    def node_get_cpu_map(self, flags: int = 0) -> tuple[int, list[bool], int]:
        """(host CPU count, online map, online count): the test host's fixed 8-CPU map 0x15."""
        check_flags(flags, 0, "testNodeGetCPUMap")
        return 8, [bool(0x15 >> i & 1) for i in range(8)], 3
