"""Driver interface for domains; every method defaults to VIR_ERR_NO_SUPPORT.

One method per libvirt entry point, snake_case without the ``vir`` prefix: a domain is named
by its :class:`DomainRef`, flags are plain ints (the values of :mod:`pyvirt.enums`), results
are refs, tuples for C structs, or XML text. Where libvirt has a plain and a ``Flags``
variant (virDomainCreate / virDomainCreateWithFlags) only the flags variant exists here: the
plain one is the flags one with 0.
"""

from __future__ import annotations

from typing import NamedTuple

from .refs import DomainRef
from .unsupported import unsupported


class DomainInfo(NamedTuple):
    """libvirt's virDomainInfo: state, max/current memory in KiB, vCPUs, CPU time in ns."""

    state: int
    max_memory: int
    memory: int
    vcpus: int
    cpu_time: int


class DomainDriver:
    """Methods for domains, named after libvirt's C API in snake_case."""

    # -- lookup ------------------------------------------------------------------------------------

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        unsupported("virDomainLookupByName")

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        unsupported("virDomainLookupByUUID")

    def domain_lookup_by_id(self, id: int) -> DomainRef:
        unsupported("virDomainLookupByID")

    # -- define / create / undefine -----------------------------------------------------------

    def domain_define_xml(self, xml: str, flags: int = 0) -> DomainRef:
        """virDomainDefineXMLFlags."""
        unsupported("virDomainDefineXMLFlags")

    def domain_create_xml(self, xml: str, flags: int = 0) -> DomainRef:
        """virDomainCreateXML: a transient domain, started."""
        unsupported("virDomainCreateXML")

    def domain_undefine(self, dom: DomainRef, flags: int = 0) -> None:
        """virDomainUndefineFlags."""
        unsupported("virDomainUndefineFlags")

    # -- lifecycle -----------------------------------------------------------------------------------

    def domain_create(self, dom: DomainRef, flags: int = 0) -> DomainRef:
        """virDomainCreateWithFlags; returns the ref with its new id."""
        unsupported("virDomainCreateWithFlags")

    def domain_shutdown(self, dom: DomainRef, flags: int = 0) -> None:
        unsupported("virDomainShutdownFlags")

    def domain_reboot(self, dom: DomainRef, flags: int = 0) -> None:
        unsupported("virDomainReboot")

    def domain_reset(self, dom: DomainRef, flags: int = 0) -> None:
        unsupported("virDomainReset")

    def domain_destroy(self, dom: DomainRef, flags: int = 0) -> None:
        unsupported("virDomainDestroyFlags")

    def domain_suspend(self, dom: DomainRef) -> None:
        unsupported("virDomainSuspend")

    def domain_resume(self, dom: DomainRef) -> None:
        unsupported("virDomainResume")

    # -- state and description -----------------------------------------------------------------

    def domain_get_xml_desc(self, dom: DomainRef, flags: int = 0) -> str:
        unsupported("virDomainGetXMLDesc")

    def domain_get_info(self, dom: DomainRef) -> DomainInfo:
        unsupported("virDomainGetInfo")

    def domain_get_state(self, dom: DomainRef, flags: int = 0) -> tuple[int, int]:
        unsupported("virDomainGetState")

    def domain_get_os_type(self, dom: DomainRef) -> str:
        unsupported("virDomainGetOSType")

    def domain_get_hostname(self, dom: DomainRef, flags: int = 0) -> str:
        unsupported("virDomainGetHostname")

    def domain_is_active(self, dom: DomainRef) -> bool:
        unsupported("virDomainIsActive")

    def domain_is_persistent(self, dom: DomainRef) -> bool:
        unsupported("virDomainIsPersistent")

    def domain_is_updated(self, dom: DomainRef) -> bool:
        unsupported("virDomainIsUpdated")

    # -- resources ----------------------------------------------------------------------------------

    def domain_get_max_memory(self, dom: DomainRef) -> int:
        unsupported("virDomainGetMaxMemory")

    def domain_set_memory_flags(self, dom: DomainRef, kib: int, flags: int = 0) -> None:
        """virDomainSetMemoryFlags (virDomainSetMemory = LIVE, SetMaxMemory = MEM_MAXIMUM)."""
        unsupported("virDomainSetMemoryFlags")

    def domain_get_vcpus_flags(self, dom: DomainRef, flags: int = 0) -> int:
        unsupported("virDomainGetVcpusFlags")

    def domain_set_vcpus_flags(self, dom: DomainRef, nvcpus: int, flags: int = 0) -> None:
        unsupported("virDomainSetVcpusFlags")

    def domain_get_max_vcpus(self, dom: DomainRef) -> int:
        unsupported("virDomainGetMaxVcpus")

    # -- autostart and metadata ----------------------------------------------------------------

    def domain_get_autostart(self, dom: DomainRef) -> bool:
        unsupported("virDomainGetAutostart")

    def domain_set_autostart(self, dom: DomainRef, autostart: bool) -> None:
        unsupported("virDomainSetAutostart")

    def domain_get_metadata(self, dom: DomainRef, type: int, uri: str | None, flags: int = 0) -> str:
        unsupported("virDomainGetMetadata")

    def domain_set_metadata(
        self,
        dom: DomainRef,
        type: int,
        metadata: str | None,
        key: str | None,
        uri: str | None,
        flags: int = 0,
    ) -> None:
        unsupported("virDomainSetMetadata")

    # -- save / restore / managed save -----------------------------------------------------------

    def domain_save(self, dom: DomainRef, path: str, dxml: str | None = None, flags: int = 0) -> None:
        """virDomainSaveFlags: ``flags`` are virDomainSaveRestoreFlags (BYPASS_CACHE, RUNNING,
        PAUSED); ``dxml`` (even empty) asks to replace the stored definition. The API layer
        has already refused RUNNING together with PAUSED."""
        unsupported("virDomainSaveFlags")

    def domain_restore(self, path: str, dxml: str | None = None, flags: int = 0) -> None:
        """virDomainRestoreFlags: ``flags`` as for :meth:`domain_save` (RUNNING/PAUSED override
        the state recorded in the image, RESET_NVRAM where firmware supports it)."""
        unsupported("virDomainRestoreFlags")

    def domain_save_image_get_xml_desc(self, path: str, flags: int = 0) -> str:
        unsupported("virDomainSaveImageGetXMLDesc")

    def domain_save_image_define_xml(self, path: str, dxml: str, flags: int = 0) -> None:
        unsupported("virDomainSaveImageDefineXML")

    def domain_managed_save(self, dom: DomainRef, flags: int = 0) -> None:
        unsupported("virDomainManagedSave")

    def domain_has_managed_save_image(self, dom: DomainRef, flags: int = 0) -> bool:
        unsupported("virDomainHasManagedSaveImage")

    def domain_managed_save_remove(self, dom: DomainRef, flags: int = 0) -> None:
        unsupported("virDomainManagedSaveRemove")

    # -- misc ------------------------------------------------------------------------------------

    def domain_rename(self, dom: DomainRef, new_name: str, flags: int = 0) -> DomainRef:
        """virDomainRename; returns the ref under its new name."""
        unsupported("virDomainRename")

    # -- devices ---------------------------------------------------------------------------------

    def domain_update_device_flags(self, dom: DomainRef, xml: str, flags: int = 0) -> None:
        """virDomainUpdateDeviceFlags (LIVE, CONFIG, FORCE)."""
        unsupported("virDomainUpdateDeviceFlags")

    def domain_detach_device_alias(self, dom: DomainRef, alias: str, flags: int = 0) -> None:
        unsupported("virDomainDetachDeviceAlias")

    def domain_core_dump(self, dom: DomainRef, to: str, dumpformat: int = 0, flags: int = 0) -> None:
        """virDomainCoreDumpWithFormat."""
        unsupported("virDomainCoreDumpWithFormat")

    def domain_get_time(self, dom: DomainRef, flags: int = 0) -> tuple[int, int]:
        unsupported("virDomainGetTime")

    def domain_set_time(self, dom: DomainRef, seconds: int, nseconds: int, flags: int = 0) -> None:
        unsupported("virDomainSetTime")

    # -- guest statistics and agent-style calls ---------------------------------------------------

    def domain_get_vcpus(self, dom: DomainRef) -> list[tuple[int, int, int, int]]:
        """virDomainGetVcpus: (number, state, cpu_time, host cpu) per vCPU."""
        unsupported("virDomainGetVcpus")

    def domain_get_scheduler_type(self, dom: DomainRef) -> tuple[str, int]:
        unsupported("virDomainGetSchedulerType")

    def domain_get_scheduler_parameters(self, dom: DomainRef, flags: int = 0) -> dict[str, int]:
        unsupported("virDomainGetSchedulerParametersFlags")

    def domain_set_scheduler_parameters(self, dom: DomainRef, params: dict[str, object], flags: int = 0) -> None:
        unsupported("virDomainSetSchedulerParametersFlags")

    def domain_block_stats(self, dom: DomainRef, path: str) -> tuple[int, int, int, int, int]:
        unsupported("virDomainBlockStats")

    def domain_interface_stats(self, dom: DomainRef, device: str) -> tuple[int, ...]:
        unsupported("virDomainInterfaceStats")

    def domain_memory_stats(self, dom: DomainRef, flags: int = 0) -> dict[str, int]:
        unsupported("virDomainMemoryStats")

    def domain_get_block_info(self, dom: DomainRef, path: str, flags: int = 0) -> tuple[int, int, int]:
        unsupported("virDomainGetBlockInfo")

    def domain_get_disk_errors(self, dom: DomainRef, flags: int = 0) -> dict[str, int]:
        unsupported("virDomainGetDiskErrors")

    def domain_get_control_info(self, dom: DomainRef, flags: int = 0) -> tuple[int, int, int]:
        unsupported("virDomainGetControlInfo")

    def domain_fs_freeze(self, dom: DomainRef, mountpoints: list[str] | None = None, flags: int = 0) -> int:
        unsupported("virDomainFSFreeze")

    def domain_fs_thaw(self, dom: DomainRef, mountpoints: list[str] | None = None, flags: int = 0) -> int:
        unsupported("virDomainFSThaw")

    def domain_fs_trim(self, dom: DomainRef, mountpoint: str | None = None, minimum: int = 0, flags: int = 0) -> None:
        unsupported("virDomainFSTrim")

    def domain_get_fs_info(self, dom: DomainRef, flags: int = 0) -> list[tuple[str, str, str, list[str]]]:
        unsupported("virDomainGetFSInfo")

    def domain_interface_addresses(self, dom: DomainRef, source: int = 0, flags: int = 0) -> dict[str, object]:
        unsupported("virDomainInterfaceAddresses")

    def domain_get_security_label(self, dom: DomainRef) -> tuple[str, bool]:
        unsupported("virDomainGetSecurityLabel")

    def node_get_security_model(self) -> tuple[str, str]:
        unsupported("virNodeGetSecurityModel")

    def domain_inject_nmi(self, dom: DomainRef, flags: int = 0) -> None:
        unsupported("virDomainInjectNMI")

    def domain_send_process_signal(self, dom: DomainRef, pid: int, signum: int, flags: int = 0) -> None:
        unsupported("virDomainSendProcessSignal")

    def domain_set_user_password(self, dom: DomainRef, user: str, password: str, flags: int = 0) -> None:
        unsupported("virDomainSetUserPassword")

    def domain_set_lifecycle_action(self, dom: DomainRef, type: int, action: int, flags: int = 0) -> None:
        unsupported("virDomainSetLifecycleAction")

    def domain_set_memory_stats_period(self, dom: DomainRef, period: int, flags: int = 0) -> None:
        unsupported("virDomainSetMemoryStatsPeriod")

    def domain_memory_peek(self, dom: DomainRef, start: int, size: int, flags: int = 0) -> bytes:
        unsupported("virDomainMemoryPeek")

    def domain_get_launch_security_info(self, dom: DomainRef, flags: int = 0) -> dict[str, object]:
        unsupported("virDomainGetLaunchSecurityInfo")

    def node_get_free_pages(self, pages: list[int], start_cell: int, cell_count: int, flags: int = 0) -> list[int]:
        unsupported("virNodeGetFreePages")

    def node_get_cpu_stats(self, cpu: int = -1, flags: int = 0) -> dict[str, int]:
        unsupported("virNodeGetCPUStats")

    def node_get_cpu_map(self, flags: int = 0) -> tuple[int, list[bool], int]:
        unsupported("virNodeGetCPUMap")

    # -- tunables and pinning ---------------------------------------------------------------------

    def domain_get_memory_parameters(self, dom: DomainRef, flags: int = 0) -> dict[str, int]:
        unsupported("virDomainGetMemoryParameters")

    def domain_set_memory_parameters(self, dom: DomainRef, params: dict[str, int], flags: int = 0) -> None:
        unsupported("virDomainSetMemoryParameters")

    def domain_get_numa_parameters(self, dom: DomainRef, flags: int = 0) -> dict[str, object]:
        unsupported("virDomainGetNumaParameters")

    def domain_set_numa_parameters(self, dom: DomainRef, params: dict[str, object], flags: int = 0) -> None:
        unsupported("virDomainSetNumaParameters")

    def domain_get_interface_parameters(self, dom: DomainRef, device: str, flags: int = 0) -> dict[str, int]:
        unsupported("virDomainGetInterfaceParameters")

    def domain_set_interface_parameters(
        self, dom: DomainRef, device: str, params: dict[str, int], flags: int = 0
    ) -> None:
        unsupported("virDomainSetInterfaceParameters")

    def domain_get_perf_events(self, dom: DomainRef, flags: int = 0) -> dict[str, bool]:
        unsupported("virDomainGetPerfEvents")

    def domain_set_perf_events(self, dom: DomainRef, params: dict[str, bool], flags: int = 0) -> None:
        unsupported("virDomainSetPerfEvents")

    def domain_get_blkio_parameters(self, dom: DomainRef, flags: int = 0) -> dict[str, object]:
        unsupported("virDomainGetBlkioParameters")

    def domain_set_blkio_parameters(self, dom: DomainRef, params: dict[str, object], flags: int = 0) -> None:
        unsupported("virDomainSetBlkioParameters")

    def domain_get_block_io_tune(self, dom: DomainRef, disk: str, flags: int = 0) -> dict[str, object]:
        unsupported("virDomainGetBlockIoTune")

    def domain_set_block_io_tune(
        self, dom: DomainRef, disk: str, params: dict[str, object], flags: int = 0
    ) -> None:
        unsupported("virDomainSetBlockIoTune")

    def domain_pin_vcpu(self, dom: DomainRef, vcpu: int, cpumap: object, flags: int = 0) -> None:
        """virDomainPinVcpuFlags; ``cpumap`` is libvirt's bytes or a sequence of booleans."""
        unsupported("virDomainPinVcpuFlags")

    def domain_get_vcpu_pin_info(self, dom: DomainRef, flags: int = 0) -> list[set[int]]:
        unsupported("virDomainGetVcpuPinInfo")

    def domain_pin_emulator(self, dom: DomainRef, cpumap: object, flags: int = 0) -> None:
        unsupported("virDomainPinEmulator")

    def domain_get_emulator_pin_info(self, dom: DomainRef, flags: int = 0) -> set[int]:
        unsupported("virDomainGetEmulatorPinInfo")

    def domain_get_cpu_stats(
        self, dom: DomainRef, start_cpu: int = -1, ncpus: int = 1, flags: int = 0
    ) -> list[dict[str, int]]:
        unsupported("virDomainGetCPUStats")

    def domain_get_iothread_info(self, dom: DomainRef, flags: int = 0) -> list[tuple[int, set[int]]]:
        """virDomainGetIOThreadInfo: (iothread id, host CPUs it may run on) per IOThread of the
        live or persistent definition (LIVE/CONFIG as virDomainModificationImpact)."""
        unsupported("virDomainGetIOThreadInfo")

    def domain_get_cpu_stats_count(self, dom: DomainRef, flags: int = 0) -> int:
        """virDomainGetCPUStats(params=NULL, start_cpu=0, ncpus=0): how many host CPUs the
        per-CPU statistics cover (the highest CPU id plus one)."""
        unsupported("virDomainGetCPUStats")

    # -- jobs and the QEMU monitor ----------------------------------------------------------------

    def domain_get_job_info(self, dom: DomainRef) -> tuple[int, ...]:
        """virDomainGetJobInfo: the 12 fields of virDomainJobInfo in libvirt's order (type,
        time elapsed/remaining in ms, data/memory/file total/processed/remaining in bytes)."""
        unsupported("virDomainGetJobInfo")

    def domain_abort_job(self, dom: DomainRef, flags: int = 0) -> None:
        """virDomainAbortJobFlags (virDomainAbortJob is flags 0): cancel the running async job."""
        unsupported("virDomainAbortJob")

    def domain_qemu_monitor_command(self, dom: DomainRef, cmd: str, flags: int = 0) -> str:
        """virDomainQemuMonitorCommand (libvirt-qemu): a raw QMP command, or HMP with flag 1
        (VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP); QEMU's reply as text, an error reply included."""
        unsupported("virDomainQemuMonitorCommand")

    def domain_attach_device(self, dom: DomainRef, xml: str, flags: int = 0) -> None:
        """virDomainAttachDeviceFlags."""
        unsupported("virDomainAttachDeviceFlags")

    def domain_detach_device(self, dom: DomainRef, xml: str, flags: int = 0) -> None:
        """virDomainDetachDeviceFlags."""
        unsupported("virDomainDetachDeviceFlags")
