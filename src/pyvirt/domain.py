"""The public ``Domain`` object (libvirt's virDomain).

A ``Domain`` is a name for a domain on one connection: it holds the connection and the
domain's identity (:class:`~pyvirt.driver.refs.DomainRef`) and asks the driver for everything
else, so it never shows stale state and works the same over any driver. Changing calls are
refused on read-only connections before the driver is asked, as libvirt's public API does.
"""

from __future__ import annotations

import uuid as _uuid
from typing import TYPE_CHECKING, NamedTuple

from .driver.refs import DomainRef
from .enums import (
    DomainDeviceModifyFlags,
    DomainJobType,
    DomainMemoryModFlags,
    DomainMetadataType,
    DomainModificationImpact,
    DomainSaveRestoreFlags,
    DomainState,
    DomainUndefineFlags,
    DomainVcpuFlags,
    DomainXMLFlags,
)
from .errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from .snapshot import DomainSnapshotAPI

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Domain", "DomainInfo", "DomainJobInfo", "VcpuInfo"]


class DomainInfo(NamedTuple):
    """virDomainGetInfo: state, max/current memory in KiB, vCPU count, CPU time in ns."""

    state: DomainState
    max_memory: int
    memory: int
    vcpus: int
    cpu_time: int


class DomainJobInfo(NamedTuple):
    """virDomainJobInfo: the kind of the running job, its times in ms and its progress in bytes.

    ``data_*`` is the whole job (memory plus files), ``mem_*`` the guest memory, ``file_*`` the
    disks; a counter the driver cannot know is 0, as in libvirt. With no job, ``type`` is NONE.
    """

    type: DomainJobType
    time_elapsed: int
    time_remaining: int
    data_total: int
    data_processed: int
    data_remaining: int
    mem_total: int
    mem_processed: int
    mem_remaining: int
    file_total: int
    file_processed: int
    file_remaining: int


#: VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP (libvirt-qemu.h): the command is for the human monitor
_QEMU_MONITOR_COMMAND_HMP = 1


def _impact(live: bool, config: bool) -> int:
    """Modification impact flags from keywords: neither means "current" (libvirt's 0)."""
    return (DomainModificationImpact.LIVE if live else 0) | (DomainModificationImpact.CONFIG if config else 0)


_STATES = tuple(DomainState)  # index -> member, cheaper than DomainState(n) on hot paths

_REASON_ENUMS: dict[DomainState, type] = {}


def _reason_enum(state: DomainState) -> type | None:
    if not _REASON_ENUMS:
        from . import enums as e

        _REASON_ENUMS.update(
            {
                DomainState.NOSTATE: e.DomainNostateReason,
                DomainState.RUNNING: e.DomainRunningReason,
                DomainState.BLOCKED: e.DomainBlockedReason,
                DomainState.PAUSED: e.DomainPausedReason,
                DomainState.SHUTDOWN: e.DomainShutdownReason,
                DomainState.SHUTOFF: e.DomainShutoffReason,
                DomainState.CRASHED: e.DomainCrashedReason,
                DomainState.PMSUSPENDED: e.DomainPMSuspendedReason,
            }
        )
    return _REASON_ENUMS.get(state)


class Domain(DomainSnapshotAPI):
    """A domain seen through a connection; holds only its identity (DomainRef)."""

    __slots__ = ("_conn", "_ref")

    def __init__(self, conn: Connection, ref: DomainRef) -> None:
        self._conn = conn
        self._ref = ref

    # -- identity --------------------------------------------------------------------------------

    @property
    def connection(self) -> Connection:
        return self._conn

    @property
    def ref(self) -> DomainRef:
        """The identity the driver knows this domain by (name, uuid, id when looked up)."""
        return self._ref

    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def uuid(self) -> str:
        """The UUID as canonical lowercase text."""
        return self._ref.uuid

    @property
    def uuid_bytes(self) -> bytes:
        return _uuid.UUID(self._ref.uuid).bytes

    @property
    def id(self) -> int:
        """The current id of the running domain, -1 when it is shut off (asked afresh)."""
        fresh = self._conn.driver.domain_lookup_by_uuid(self._ref.uuid)
        self._ref = fresh
        return fresh.id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Domain) and other._conn is self._conn and other._ref.uuid == self._ref.uuid

    def __hash__(self) -> int:
        return hash(self._ref.uuid)

    def __repr__(self) -> str:
        return f"<pyvirt.Domain {self._ref.name!r} {self._ref.uuid}>"

    def _write(self, api: str) -> None:
        self._conn._check_writable(api)

    @property
    def _driver(self):  # type: ignore[no-untyped-def]
        return self._conn.driver

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, paused: bool = False, *, flags: int = 0) -> None:
        """Boot a defined domain (virDomainCreateWithFlags)."""
        self._write("virDomainCreateWithFlags" if paused or flags else "virDomainCreate")
        self._ref = self._driver.domain_create(self._ref, (1 if paused else 0) | int(flags))

    def shutdown(self, *, flags: int = 0) -> None:
        """Ask the guest to power off (virDomainShutdownFlags)."""
        self._write("virDomainShutdownFlags" if flags else "virDomainShutdown")
        self._driver.domain_shutdown(self._ref, int(flags))

    def reboot(self, *, flags: int = 0) -> None:
        self._write("virDomainReboot")
        self._driver.domain_reboot(self._ref, int(flags))

    def reset(self) -> None:
        """Hard reset, like pressing the reset button (virDomainReset)."""
        self._write("virDomainReset")
        self._driver.domain_reset(self._ref, 0)

    def destroy(self, graceful: bool = False) -> None:
        """Stop the domain at once (virDomainDestroyFlags); a transient domain disappears."""
        self._write("virDomainDestroyFlags" if graceful else "virDomainDestroy")
        self._driver.domain_destroy(self._ref, 1 if graceful else 0)

    def suspend(self) -> None:
        self._write("virDomainSuspend")
        self._driver.domain_suspend(self._ref)

    def resume(self) -> None:
        self._write("virDomainResume")
        self._driver.domain_resume(self._ref)

    def undefine(
        self,
        managed_save: bool = False,
        snapshots_metadata: bool = False,
        nvram: bool = False,
        keep_nvram: bool = False,
        checkpoints_metadata: bool = False,
    ) -> None:
        """Remove the persistent config (virDomainUndefineFlags); a running domain turns transient."""
        flags = (
            (DomainUndefineFlags.MANAGED_SAVE if managed_save else 0)
            | (DomainUndefineFlags.SNAPSHOTS_METADATA if snapshots_metadata else 0)
            | (DomainUndefineFlags.NVRAM if nvram else 0)
            | (DomainUndefineFlags.KEEP_NVRAM if keep_nvram else 0)
            | (DomainUndefineFlags.CHECKPOINTS_METADATA if checkpoints_metadata else 0)
        )
        self._write("virDomainUndefineFlags" if flags else "virDomainUndefine")
        self._driver.domain_undefine(self._ref, int(flags))

    # -- description and state -----------------------------------------------------------------

    def xml(self, inactive: bool = False, secure: bool = False, *, flags: int = 0) -> str:
        """The domain XML: what runs now, or with ``inactive`` the config for the next boot."""
        f = int(flags) | (DomainXMLFlags.INACTIVE if inactive else 0) | (DomainXMLFlags.SECURE if secure else 0)
        if f & DomainXMLFlags.SECURE and self._conn.readonly:
            raise virt_error(
                ErrorNumber.OPERATION_DENIED, "virDomainGetXMLDesc with secure flag", domain=ErrorDomain.DOMAIN
            )
        return self._driver.domain_get_xml_desc(self._ref, int(f))

    def info(self) -> DomainInfo:
        raw = self._conn.driver.domain_get_info(self._ref)
        return DomainInfo(_STATES[raw[0]], raw[1], raw[2], raw[3], raw[4])

    def state(self) -> tuple[DomainState, int]:
        """(state, reason); the reason is an IntEnum of the state's reason kind when known."""
        state, reason = self._driver.domain_get_state(self._ref, 0)
        st = DomainState(state)
        kind = _reason_enum(st)
        if kind is not None:
            try:
                return st, kind(reason)
            except ValueError:
                pass
        return st, reason

    @property
    def os_type(self) -> str:
        return self._driver.domain_get_os_type(self._ref)

    @property
    def max_memory(self) -> int:
        """Maximum memory in KiB (virDomainGetMaxMemory)."""
        return self._driver.domain_get_max_memory(self._ref)

    def hostname(self) -> str:
        return self._driver.domain_get_hostname(self._ref, 0)

    def is_active(self) -> bool:
        return self._driver.domain_is_active(self._ref)

    def is_persistent(self) -> bool:
        return self._driver.domain_is_persistent(self._ref)

    def is_updated(self) -> bool:
        return self._driver.domain_is_updated(self._ref)

    # -- memory and vCPUs ----------------------------------------------------------------------

    def set_memory(self, kib: int, *, live: bool = False, config: bool = False) -> None:
        """Set the current (balloon) memory in KiB; neither flag means "current state"."""
        self._write("virDomainSetMemoryFlags")
        self._driver.domain_set_memory_flags(self._ref, int(kib), _impact(live, config))

    def set_max_memory(self, kib: int, *, live: bool = False, config: bool = False) -> None:
        """Set the maximum memory in KiB (virDomainSetMemoryFlags with MEM_MAXIMUM)."""
        self._write("virDomainSetMemoryFlags")
        flags = _impact(live, config) | DomainMemoryModFlags.MAXIMUM
        self._driver.domain_set_memory_flags(self._ref, int(kib), int(flags))

    def set_vcpus(
        self,
        count: int,
        *,
        live: bool = False,
        config: bool = False,
        maximum: bool = False,
        guest: bool = False,
        hotpluggable: bool = False,
    ) -> None:
        """Set the vCPU count (or with ``maximum`` the maximum) -- virDomainSetVcpusFlags.

        ``guest`` asks the guest agent to online/offline vCPUs instead of changing the
        definition; ``hotpluggable`` makes the added vCPUs unpluggable later. Drivers that
        lack either refuse the flag, as libvirt's test driver does.
        """
        self._write("virDomainSetVcpusFlags")
        flags = (
            _impact(live, config)
            | (DomainVcpuFlags.MAXIMUM if maximum else 0)
            | (DomainVcpuFlags.GUEST if guest else 0)
            | (DomainVcpuFlags.HOTPLUGGABLE if hotpluggable else 0)
        )
        # libvirt checks these in virDomainSetVcpusFlags itself, before any driver sees them
        if guest and config:
            raise _arg_error("Flags 'VIR_DOMAIN_VCPU_GUEST' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive")
        if maximum and not config:
            raise _arg_error("Flag 'VIR_DOMAIN_AFFECT_CONFIG' is required by flag 'VIR_DOMAIN_VCPU_MAXIMUM'")
        if count == 0:
            raise _arg_error("nvcpus in virDomainSetVcpusFlags must not be zero")
        self._driver.domain_set_vcpus_flags(self._ref, int(count), int(flags))

    def vcpus(self, *, live: bool = False, config: bool = False, maximum: bool = False, guest: bool = False) -> int:
        """The vCPU count (or maximum) of the live or persistent definition; with ``guest``,
        the count the guest agent reports online (virDomainGetVcpusFlags)."""
        flags = (
            _impact(live, config)
            | (DomainVcpuFlags.MAXIMUM if maximum else 0)
            | (DomainVcpuFlags.GUEST if guest else 0)
        )
        return self._driver.domain_get_vcpus_flags(self._ref, int(flags))

    def max_vcpus(self) -> int:
        return self._driver.domain_get_max_vcpus(self._ref)

    # -- autostart ------------------------------------------------------------------------------

    @property
    def autostart(self) -> bool:
        return self._driver.domain_get_autostart(self._ref)

    @autostart.setter
    def autostart(self, value: bool) -> None:
        self._write("virDomainSetAutostart")
        self._driver.domain_set_autostart(self._ref, bool(value))

    # -- metadata -------------------------------------------------------------------------------

    def metadata(
        self,
        type: DomainMetadataType | int,
        uri: str | None = None,
        *,
        live: bool = False,
        config: bool = False,
    ) -> str:
        """Title, description, or the custom element of namespace ``uri`` (virDomainGetMetadata).

        Missing metadata is VIR_ERR_NO_DOMAIN_METADATA, as in libvirt.
        """
        _check_metadata_args("virDomainGetMetadata", int(type), uri)
        return self._driver.domain_get_metadata(self._ref, int(type), uri, _impact(live, config))

    def set_metadata(
        self,
        type: DomainMetadataType | int,
        value: str | None,
        key: str | None = None,
        uri: str | None = None,
        *,
        live: bool = False,
        config: bool = False,
    ) -> None:
        """Set (``value``) or remove (``None``) title, description or a namespaced element.

        For ``ELEMENT`` the element is stored in namespace ``uri`` with prefix ``key``; there is
        at most one element per namespace, as in libvirt.
        """
        self._write("virDomainSetMetadata")
        t = int(type)
        _check_metadata_args("virDomainSetMetadata", t, uri, setting=True, value=value, key=key)
        self._driver.domain_set_metadata(self._ref, t, value, key, uri, _impact(live, config))

    @property
    def title(self) -> str | None:
        return self._optional_metadata(DomainMetadataType.TITLE)

    @title.setter
    def title(self, value: str | None) -> None:
        self.set_metadata(DomainMetadataType.TITLE, value)

    @property
    def description(self) -> str | None:
        return self._optional_metadata(DomainMetadataType.DESCRIPTION)

    @description.setter
    def description(self, value: str | None) -> None:
        self.set_metadata(DomainMetadataType.DESCRIPTION, value)

    def _optional_metadata(self, type: DomainMetadataType) -> str | None:
        try:
            return self.metadata(type)
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, "code", None) == ErrorNumber.NO_DOMAIN_METADATA:
                return None
            raise

    # -- save / managed save ------------------------------------------------------------------

    def save(
        self,
        path: str,
        *,
        xml: str | None = None,
        running: bool = False,
        paused: bool = False,
        bypass_cache: bool = False,
    ) -> None:
        """Save the running domain's memory to ``path`` and stop it (virDomainSaveFlags).

        ``xml`` replaces the definition stored in the image (same ABI only); ``running`` /
        ``paused`` record the state a later restore starts in; ``bypass_cache`` avoids
        polluting the host's page cache. Drivers refuse what they do not support.
        """
        flags = _save_flags(running, paused, bypass_cache)
        self._write("virDomainSave" if xml is None and not flags else "virDomainSaveFlags")
        _check_save_flags(flags)
        self._driver.domain_save(self._ref, path, xml, flags)

    def managed_save(
        self, *, running: bool = False, paused: bool = False, bypass_cache: bool = False, flags: int = 0
    ) -> None:
        """Save to a place the driver manages; the next start resumes from it
        (virDomainManagedSave; ``flags`` are raw virDomainSaveRestoreFlags, OR-ed in)."""
        self._write("virDomainManagedSave")
        flags = int(flags) | _save_flags(running, paused, bypass_cache)
        _check_save_flags(flags)
        self._driver.domain_managed_save(self._ref, flags)

    @property
    def has_managed_save(self) -> bool:
        return self._driver.domain_has_managed_save_image(self._ref, 0)

    def managed_save_remove(self) -> None:
        self._write("virDomainManagedSaveRemove")
        self._driver.domain_managed_save_remove(self._ref, 0)

    # -- guest statistics and agent-style calls --------------------------------------------------

    def vcpu_info(self) -> list[VcpuInfo]:
        """Each online vCPU's state and placement (virDomainGetVcpus)."""
        return [VcpuInfo(*v) for v in self._driver.domain_get_vcpus(self._ref)]

    def scheduler_type(self) -> str:
        return self._driver.domain_get_scheduler_type(self._ref)[0]

    def scheduler_parameters(self) -> dict[str, int]:
        return self._driver.domain_get_scheduler_parameters(self._ref, 0)

    def set_scheduler_parameters(self, params: dict[str, int]) -> None:
        self._write("virDomainSetSchedulerParameters")
        self._driver.domain_set_scheduler_parameters(self._ref, dict(params), 0)

    def block_stats(self, path: str) -> tuple[int, int, int, int, int]:
        """(rd_req, rd_bytes, wr_req, wr_bytes, errs) of the disk named by target or source path."""
        return self._driver.domain_block_stats(self._ref, path)

    def interface_stats(self, device: str) -> tuple[int, ...]:
        """rx bytes/packets/errs/drop then tx bytes/packets/errs/drop (by target name or MAC)."""
        return self._driver.domain_interface_stats(self._ref, device)

    def memory_stats(self) -> dict[str, int]:
        """Balloon statistics in KiB keyed as libvirt-python keys them ("actual", "rss", ...)."""
        return self._driver.domain_memory_stats(self._ref, 0)

    def block_info(self, path: str) -> tuple[int, int, int]:
        """(capacity, allocation, physical) in bytes of one disk (virDomainGetBlockInfo)."""
        return self._driver.domain_get_block_info(self._ref, path, 0)

    def disk_errors(self) -> dict[str, int]:
        return self._driver.domain_get_disk_errors(self._ref, 0)

    def control_info(self) -> tuple[int, int, int]:
        """(DomainControlState, details, milliseconds in that state)."""
        return self._driver.domain_get_control_info(self._ref, 0)

    def get_time(self) -> tuple[int, int]:
        """The guest's clock as (seconds, nanoseconds) since the epoch."""
        self._write("virDomainGetTime")
        return self._driver.domain_get_time(self._ref, 0)

    def set_time(self, seconds: int, nseconds: int = 0, *, sync: bool = False) -> None:
        self._write("virDomainSetTime")
        self._driver.domain_set_time(self._ref, int(seconds), int(nseconds), 1 if sync else 0)

    def fs_freeze(self, mountpoints: list[str] | None = None) -> int:
        """Freeze guest filesystems (all when None); returns how many were newly frozen."""
        self._write("virDomainFSFreeze")
        return self._driver.domain_fs_freeze(self._ref, mountpoints, 0)

    def fs_thaw(self, mountpoints: list[str] | None = None) -> int:
        self._write("virDomainFSThaw")
        return self._driver.domain_fs_thaw(self._ref, mountpoints, 0)

    def fs_trim(self, mountpoint: str | None = None, minimum: int = 0) -> None:
        self._write("virDomainFSTrim")
        self._driver.domain_fs_trim(self._ref, mountpoint, int(minimum), 0)

    def fs_info(self) -> list[tuple[str, str, str, list[str]]]:
        """(mountpoint, name, fstype, disk targets) of each guest filesystem."""
        self._write("virDomainGetFSInfo")
        return self._driver.domain_get_fs_info(self._ref, 0)

    def interface_addresses(self, source: int = 0) -> dict[str, dict[str, object]]:
        """Guest IP addresses by interface, as libvirt-python's interfaceAddresses returns them."""
        if source == 1:  # the guest agent needs a read-write connection
            self._write("virDomainInterfaceAddresses")
        return self._driver.domain_interface_addresses(self._ref, int(source), 0)

    def memory_peek(self, start: int, size: int, *, physical: bool = False) -> bytes:
        """Read guest memory (virDomainMemoryPeek, virtual addresses unless ``physical``)."""
        self._write("virDomainMemoryPeek")
        return self._driver.domain_memory_peek(self._ref, int(start), int(size), 2 if physical else 1)

    def launch_security_info(self) -> dict[str, object]:
        """Launch security measurements (SEV and the like); empty when there are none."""
        self._write("virDomainGetLaunchSecurityInfo")
        return self._driver.domain_get_launch_security_info(self._ref, 0)

    def security_label(self) -> tuple[str, bool]:
        """(label, enforcing) of the running domain; empty when it is shut off."""
        return self._driver.domain_get_security_label(self._ref)

    def inject_nmi(self) -> None:
        self._write("virDomainInjectNMI")
        self._driver.domain_inject_nmi(self._ref, 0)

    def send_process_signal(self, pid: int, signum: int) -> None:
        self._write("virDomainSendProcessSignal")
        self._driver.domain_send_process_signal(self._ref, int(pid), int(signum), 0)

    def set_user_password(self, user: str, password: str, *, encrypted: bool = False) -> None:
        self._write("virDomainSetUserPassword")
        self._driver.domain_set_user_password(self._ref, user, password, 1 if encrypted else 0)

    # -- devices --------------------------------------------------------------------------------

    def attach_device(self, xml: str, *, live: bool | None = None, config: bool = False) -> None:
        """Hot-plug (and/or add to the config) the device described by ``xml``.

        With no keyword this is virDomainAttachDevice (the running domain only, libvirt's
        oldest form, which some drivers implement differently); any keyword selects
        virDomainAttachDeviceFlags, ``live=False, config=False`` meaning "current".
        """
        self._device_call("virDomainAttachDevice", self._driver.domain_attach_device, xml, live, config)

    def detach_device(self, xml: str, *, live: bool | None = None, config: bool = False) -> None:
        """Hot-unplug (and/or remove from the config) the device matching ``xml``; the
        keywords select the API as in :meth:`attach_device`."""
        self._device_call("virDomainDetachDevice", self._driver.domain_detach_device, xml, live, config)

    def update_device(self, xml: str, *, live: bool = False, config: bool = False, force: bool = False) -> None:
        """Change a device in place, e.g. the medium of a CD-ROM (virDomainUpdateDeviceFlags);
        ``force`` ejects a locked medium."""
        self._write("virDomainUpdateDeviceFlags")
        flags = _impact(live, config) | (DomainDeviceModifyFlags.FORCE if force else 0)
        self._driver.domain_update_device_flags(self._ref, xml, int(flags))

    def detach_device_alias(self, alias: str, *, live: bool = False, config: bool = False) -> None:
        """Detach the device whose ``<alias name=...>`` is ``alias`` (virDomainDetachDeviceAlias)."""
        self._write("virDomainDetachDeviceAlias")
        self._driver.domain_detach_device_alias(self._ref, alias, _impact(live, config))

    def _device_call(self, api: str, call, xml: str, live: bool | None, config: bool) -> None:  # type: ignore[no-untyped-def]
        """The plain API is the flags one with LIVE (as every libvirt driver implements it);
        a driver lacking it is reported under the plain API's name, as libvirt does."""
        if live is not None or config:
            self._write(api + "Flags")
            call(self._ref, xml, _impact(bool(live), config))
            return
        self._write(api)
        try:
            call(self._ref, xml, int(DomainDeviceModifyFlags.LIVE))
        except VirtError as exc:
            if exc.code == ErrorNumber.NO_SUPPORT and exc.message.endswith(api + "Flags"):
                raise virt_error(ErrorNumber.NO_SUPPORT, api, domain=ErrorDomain.DOMAIN) from None
            raise

    def core_dump(
        self,
        path: str,
        *,
        format: int = 0,
        crash: bool = False,
        live: bool = False,
        bypass_cache: bool = False,
        reset: bool = False,
        memory_only: bool = False,
    ) -> None:
        """Dump guest memory to ``path`` (virDomainCoreDumpWithFormat): ``format`` is a
        DomainCoreDumpFormat (kdump/win-dmp need ``memory_only``); with ``crash`` the domain
        then stops as crashed, with ``reset`` it is reset, with ``live`` it keeps running
        during the dump. Drivers refuse the flags they lack."""
        self._write("virDomainCoreDumpWithFormat")
        flags = (
            (1 if crash else 0) | (2 if live else 0) | (4 if bypass_cache else 0)
            | (8 if reset else 0) | (16 if memory_only else 0)
        )  # fmt: skip
        # libvirt's own checks in virDomainCoreDumpWithFormat, before the driver
        if not 0 <= int(format) <= 4:
            raise _arg_error(f"dumpformat '{int(format)}' is not supported")
        if crash and live:
            raise _arg_error("Flags 'VIR_DUMP_CRASH' and 'VIR_DUMP_LIVE' are mutually exclusive")
        if crash and reset:
            raise _arg_error("Flags 'VIR_DUMP_CRASH' and 'VIR_DUMP_RESET' are mutually exclusive")
        self._driver.domain_core_dump(self._ref, path, int(format), flags)

    def set_lifecycle_action(self, type: int, action: int, *, live: bool = False, config: bool = False) -> None:
        """Change what happens on poweroff/reboot/crash (DomainLifecycle, DomainLifecycleAction)."""
        self._write("virDomainSetLifecycleAction")
        self._driver.domain_set_lifecycle_action(self._ref, int(type), int(action), _impact(live, config))

    def set_memory_stats_period(self, period: int, *, live: bool = False, config: bool = False) -> None:
        self._write("virDomainSetMemoryStatsPeriod")
        self._driver.domain_set_memory_stats_period(self._ref, int(period), _impact(live, config))

    # -- tunables and pinning ---------------------------------------------------------------------

    def memory_parameters(self, *, live: bool = False, config: bool = False) -> dict[str, int]:
        """hard_limit / soft_limit / swap_hard_limit in KiB (unset reads as 9007199254740991)."""
        return self._driver.domain_get_memory_parameters(self._ref, _impact(live, config))

    def set_memory_parameters(self, params: dict[str, int], *, live: bool = False, config: bool = False) -> None:
        self._write("virDomainSetMemoryParameters")
        self._driver.domain_set_memory_parameters(self._ref, dict(params), _impact(live, config))

    def numa_parameters(self, *, live: bool = False, config: bool = False) -> dict[str, object]:
        return self._driver.domain_get_numa_parameters(self._ref, _impact(live, config))

    def set_numa_parameters(self, params: dict[str, object], *, live: bool = False, config: bool = False) -> None:
        self._write("virDomainSetNumaParameters")
        self._driver.domain_set_numa_parameters(self._ref, dict(params), _impact(live, config))

    def interface_parameters(self, device: str, *, live: bool = False, config: bool = False) -> dict[str, int]:
        """Bandwidth limits of one interface ("inbound.average", ... in KiB/s)."""
        return self._driver.domain_get_interface_parameters(self._ref, device, _impact(live, config))

    def set_interface_parameters(
        self, device: str, params: dict[str, int], *, live: bool = False, config: bool = False
    ) -> None:
        self._write("virDomainSetInterfaceParameters")
        self._driver.domain_set_interface_parameters(self._ref, device, dict(params), _impact(live, config))

    def perf_events(self, *, live: bool = False, config: bool = False) -> dict[str, bool]:
        return self._driver.domain_get_perf_events(self._ref, _impact(live, config))

    def set_perf_events(self, params: dict[str, bool], *, live: bool = False, config: bool = False) -> None:
        self._write("virDomainSetPerfEvents")
        self._driver.domain_set_perf_events(self._ref, dict(params), _impact(live, config))

    def blkio_parameters(self, *, live: bool = False, config: bool = False) -> dict[str, object]:
        """Block I/O weight and per-device limits ("device_weight": "path,value,...", ...)."""
        return self._driver.domain_get_blkio_parameters(self._ref, _impact(live, config))

    def set_blkio_parameters(self, params: dict[str, object], *, live: bool = False, config: bool = False) -> None:
        self._write("virDomainSetBlkioParameters")
        self._driver.domain_set_blkio_parameters(self._ref, dict(params), _impact(live, config))

    def block_io_tune(self, disk: str, *, live: bool = False, config: bool = False) -> dict[str, object]:
        """The I/O throttling of one disk (target name or source path)."""
        return self._driver.domain_get_block_io_tune(self._ref, disk, _impact(live, config))

    def set_block_io_tune(
        self, disk: str, params: dict[str, object], *, live: bool = False, config: bool = False
    ) -> None:
        self._write("virDomainSetBlockIoTune")
        self._driver.domain_set_block_io_tune(self._ref, disk, dict(params), _impact(live, config))

    def pin_vcpu(self, vcpu: int, cpus: set[int] | list[bool] | bytes) -> None:
        """Restrict ``vcpu`` to host CPUs (a set of ids, a boolean map, or libvirt's bytes)."""
        self._write("virDomainPinVcpu")
        self._driver.domain_pin_vcpu(self._ref, int(vcpu), _as_cpumap(cpus), 0)

    def vcpu_pin_info(self, *, live: bool = False, config: bool = False) -> list[set[int]]:
        """The host CPU ids each vCPU may run on."""
        return self._driver.domain_get_vcpu_pin_info(self._ref, _impact(live, config))

    def pin_emulator(self, cpus: set[int] | list[bool] | bytes, *, live: bool = False, config: bool = False) -> None:
        self._write("virDomainPinEmulator")
        self._driver.domain_pin_emulator(self._ref, _as_cpumap(cpus), _impact(live, config))

    def emulator_pin_info(self, *, live: bool = False, config: bool = False) -> set[int]:
        return self._driver.domain_get_emulator_pin_info(self._ref, _impact(live, config))

    def iothread_info(self, *, live: bool = False, config: bool = False) -> list[tuple[int, set[int]]]:
        """(IOThread id, host CPUs it may use) for each IOThread (virDomainGetIOThreadInfo)."""
        return self._driver.domain_get_iothread_info(self._ref, _impact(live, config))

    def cpu_stats(self, start_cpu: int = -1, ncpus: int = 1) -> list[dict[str, int]]:
        """Total (``start_cpu=-1``) or per-host-CPU time counters in ns (virDomainGetCPUStats)."""
        return self._driver.domain_get_cpu_stats(self._ref, int(start_cpu), int(ncpus), 0)

    def cpu_stats_count(self) -> int:
        """How many host CPUs :meth:`cpu_stats` can report on (ids 0 .. count-1)."""
        return self._driver.domain_get_cpu_stats_count(self._ref, 0)

    # -- jobs and the QEMU monitor ----------------------------------------------------------------

    def job_info(self) -> DomainJobInfo:
        """Progress of the domain's running asynchronous job (save, snapshot, ...): lets a
        caller show progress or decide to :meth:`abort_job` (virDomainGetJobInfo)."""
        raw = self._driver.domain_get_job_info(self._ref)
        return DomainJobInfo(DomainJobType(raw[0]), *(int(v) for v in raw[1:12]))

    def abort_job(self) -> None:
        """Cancel the running asynchronous job; the job's caller gets OperationAbortedError
        (virDomainAbortJob). With no job running: OperationInvalidError."""
        self._write("virDomainAbortJob")
        self._driver.domain_abort_job(self._ref, 0)

    def qemu_monitor_command(self, json_text: str, *, hmp: bool = False) -> str:
        """Send a raw QMP command (or with ``hmp`` a human-monitor one) and return QEMU's reply.

        libvirt's escape hatch (virDomainQemuMonitorCommand, ``virsh qemu-monitor-command``) for
        what the API does not cover; a QMP error comes back as the reply text, not raised. Only
        drivers that run QEMU offer it; it needs a read-write connection because any command,
        ``quit`` included, can change the guest behind the driver's back.
        """
        self._conn._check_writable("virDomainQemuMonitorCommand", ErrorDomain.NONE)
        flags = _QEMU_MONITOR_COMMAND_HMP if hmp else 0
        return self._driver.domain_qemu_monitor_command(self._ref, str(json_text), flags)

    # -- rename ---------------------------------------------------------------------------------

    def rename(self, new_name: str) -> None:
        """Rename a shut-off persistent domain (virDomainRename)."""
        self._write("virDomainRename")
        if not new_name:
            raise _arg_error("string new_name in virDomainRename must not be empty")
        self._ref = self._driver.domain_rename(self._ref, new_name, 0)


class VcpuInfo(NamedTuple):
    """virVcpuInfo: vCPU number, state (VcpuState), CPU time in ns, host CPU it runs on."""

    number: int
    state: int
    cpu_time: int
    cpu: int


def _as_cpumap(cpus: set[int] | list[bool] | tuple[bool, ...] | bytes) -> list[bool] | bytes:
    """A set of CPU ids becomes a boolean map; maps and libvirt's bytes pass through."""
    if isinstance(cpus, set | frozenset):
        top = max(cpus) + 1 if cpus else 0
        return [i in cpus for i in range(top)]
    return cpus if isinstance(cpus, bytes) else list(cpus)


def _save_flags(running: bool, paused: bool, bypass_cache: bool) -> int:
    """virDomainSaveRestoreFlags from keywords (shared with Connection.restore)."""
    return int(
        (DomainSaveRestoreFlags.RUNNING if running else 0)
        | (DomainSaveRestoreFlags.PAUSED if paused else 0)
        | (DomainSaveRestoreFlags.BYPASS_CACHE if bypass_cache else 0)
    )


def _check_save_flags(flags: int) -> None:
    """libvirt's own check in virDomainSaveFlags/virDomainRestoreFlags, before the driver."""
    both = DomainSaveRestoreFlags.RUNNING | DomainSaveRestoreFlags.PAUSED
    if flags & both == both:
        raise _arg_error("Flags 'VIR_DOMAIN_SAVE_RUNNING' and 'VIR_DOMAIN_SAVE_PAUSED' are mutually exclusive")


def _arg_error(text: str) -> Exception:
    """libvirt's virReportInvalidArg family: VIR_ERR_INVALID_ARG with the bare text."""
    return virt_error(ErrorNumber.INVALID_ARG, text, domain=ErrorDomain.DOMAIN, message=text)


def _check_metadata_args(
    api: str, type: int, uri: str | None, *, setting: bool = False, value: str | None = None, key: str | None = None
) -> None:
    """libvirt's argument checks in virDomainGet/SetMetadata (before the driver is asked)."""
    if type == DomainMetadataType.ELEMENT:
        if uri is None:
            raise _arg_error(f"uri in {api} must not be NULL")
        if setting and value is not None and key is None:
            raise _arg_error(f"key in {api} must not be NULL")
    elif type in (DomainMetadataType.TITLE, DomainMetadataType.DESCRIPTION):
        if setting and type == DomainMetadataType.TITLE and value is not None and "\n" in value:
            raise _arg_error("metadata title can't contain newlines")
        if uri is not None:
            raise _arg_error(f"uri in {api} must be NULL")
        if setting and key is not None:
            raise _arg_error(f"key in {api} must be NULL")
