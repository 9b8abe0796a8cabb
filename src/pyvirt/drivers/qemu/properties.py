"""What a domain is and how it is configured: XML, info, state, vCPUs, memory, autostart, metadata.

Changes follow libvirt's live/config rules (``_defs``): the live definition for a running
domain, the persistent one (``newDef``) for the next start, or both.
"""

from __future__ import annotations

import os

from ...conf import DomainDef
from ...driver.domain import DomainInfo
from ...driver.refs import DomainRef
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ...objects.domain import DomainObject
from .access import QemuDriverBase
from .errors import check_flags, not_running, qemu_error
from .flags import AFFECT_CONFIG, AFFECT_LIVE, MEM_MAXIMUM, XML_INACTIVE, XML_SECURE
from .host import cpu_time_ns
from .process import QemuProcess
from .statefile import remove_file

__all__ = ["PropertiesMixin"]


class PropertiesMixin(QemuDriverBase):
    """Queries and live/config changes of a domain's definition."""

    # ========================================================================================
    # description

    def domain_get_xml_desc(self, dom: DomainRef, flags: int = 0) -> str:
        check_flags(flags, 1 | 2 | 4 | 8, "qemuDomainGetXMLDesc")
        obj = self._obj(dom)
        with obj.lock:
            inactive = bool(flags & XML_INACTIVE)
            definition = obj.new_definition if inactive and obj.new_definition is not None else obj.definition
            domain_id = obj.id if obj.is_active() and definition is obj.definition and not inactive else None
            return definition.to_xml(inactive=inactive, secure=bool(flags & XML_SECURE), domain_id=domain_id)

    def domain_get_info(self, dom: DomainRef) -> DomainInfo:
        obj = self._obj(dom)
        with obj.lock:
            d = obj.definition
            proc: QemuProcess | None = obj.driver_data.get("process")
            cpu = cpu_time_ns(proc.pid) if proc is not None and obj.is_active() else 0
            memory = (d.current_memory or d.memory or 0) if obj.is_active() else (d.memory or 0)
            return DomainInfo(int(obj.state), d.memory or 0, memory, d.vcpus, cpu)

    def domain_get_state(self, dom: DomainRef, flags: int = 0) -> tuple[int, int]:
        check_flags(flags, 0, "qemuDomainGetState")
        obj = self._obj(dom)
        with obj.lock:
            return int(obj.state), int(obj.reason)

    def domain_get_os_type(self, dom: DomainRef) -> str:
        return self._obj(dom).definition.os.type or "hvm"

    def domain_is_active(self, dom: DomainRef) -> bool:
        return self._obj(dom).is_active()

    def domain_is_persistent(self, dom: DomainRef) -> bool:
        return bool(self._obj(dom).persistent)

    def domain_is_updated(self, dom: DomainRef) -> bool:
        self._obj(dom)
        return False

    def domain_get_max_memory(self, dom: DomainRef) -> int:
        return self._obj(dom).definition.memory or 0

    def domain_get_vcpus_flags(self, dom: DomainRef, flags: int = 0) -> int:
        obj = self._obj(dom)
        d = obj.persistent_definition() if flags & AFFECT_CONFIG else obj.definition
        return d.max_vcpus if flags & 4 else d.vcpus

    def domain_get_max_vcpus(self, dom: DomainRef) -> int:
        return self._obj(dom).definition.max_vcpus

    def domain_get_autostart(self, dom: DomainRef) -> bool:
        return bool(self._obj(dom).autostart)

    def domain_set_autostart(self, dom: DomainRef, autostart: bool) -> None:
        with self._job(dom, "modify") as obj:
            if not obj.persistent:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "cannot set autostart for transient domain")
            link = self.paths.autostart(obj.name)
            if autostart:
                link.parent.mkdir(parents=True, exist_ok=True)
                if not link.exists():
                    os.symlink(self.paths.config(obj.name), link)
            else:
                remove_file(link)
            with obj.lock:
                obj.autostart = bool(autostart)

    def domain_set_vcpus_flags(self, dom: DomainRef, nvcpus: int, flags: int = 0) -> None:
        """virDomainSetVcpusFlags for the configuration (live vCPU hot-plug is not offered)."""
        check_flags(flags, AFFECT_LIVE | AFFECT_CONFIG | 4, "qemuDomainSetVcpusFlags")
        if nvcpus < 1:
            raise qemu_error(ErrorNumber.INVALID_ARG, "argument unsupported: nvcpus must be at least 1")
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags & ~4)
            if live_def is not None:
                raise qemu_error(ErrorNumber.OPERATION_UNSUPPORTED, "changing the vCPU count of a running domain is not supported")
            assert config_def is not None
            with obj.lock:
                if flags & 4:  # VIR_DOMAIN_VCPU_MAXIMUM
                    current = min(config_def.vcpus, nvcpus)
                    vcpu = config_def.element.find("vcpu")
                    if vcpu is not None:
                        vcpu.attrib.pop("current", None)
                    config_def.max_vcpus = nvcpus
                    config_def.vcpus = current
                else:
                    if nvcpus > config_def.max_vcpus:
                        raise qemu_error(ErrorNumber.INVALID_ARG,
                                   f"requested vcpus is greater than max allowable vcpus for the persistent domain: {nvcpus} > {config_def.max_vcpus}")
                    config_def.vcpus = nvcpus
            self._save_config(obj)

    def domain_get_metadata(self, dom: DomainRef, type: int, uri: str | None, flags: int = 0) -> str:
        check_flags(flags, AFFECT_LIVE | AFFECT_CONFIG, "qemuDomainGetMetadata")
        obj = self._obj(dom)
        live_def, config_def = self._defs(obj, flags)
        if live_def is not None and config_def is not None:
            raise qemu_error(ErrorNumber.INVALID_ARG, "flags 'affect live' and 'affect config' are mutually exclusive")
        definition = live_def if live_def is not None else config_def
        assert definition is not None
        with obj.lock:
            if type == 0:
                value = definition.description
            elif type == 1:
                value = definition.title
            elif type == 2:
                value = definition.get_metadata(uri or "")
            else:
                raise qemu_error(ErrorNumber.INVALID_ARG, f"unknown metadata type '{type}'")
        if value is None:
            raise virt_error(ErrorNumber.NO_DOMAIN_METADATA, "Requested metadata element is not present",
                             domain=ErrorDomain.DOMAIN)
        return value

    def domain_set_metadata(self, dom: DomainRef, type: int, metadata: str | None, key: str | None,
                            uri: str | None, flags: int = 0) -> None:
        check_flags(flags, AFFECT_LIVE | AFFECT_CONFIG, "qemuDomainSetMetadata")
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            with obj.lock:
                for definition in (live_def, config_def):
                    if definition is None:
                        continue
                    if type == 0:
                        definition.description = metadata or None
                    elif type == 1:
                        definition.title = metadata or None
                    elif type == 2:
                        definition.set_metadata(metadata, key, uri)
                    else:
                        raise qemu_error(ErrorNumber.INVALID_ARG, f"unknown metadata type '{type}'")
            if live_def is not None:
                self._save_status(obj)
            if config_def is not None:
                self._save_config(obj)

    # ========================================================================================
    # memory

    def _defs(self, obj: DomainObject, flags: int) -> tuple[DomainDef | None, DomainDef | None]:
        active = obj.is_active()
        live, config = bool(flags & AFFECT_LIVE), bool(flags & AFFECT_CONFIG)
        if not live and not config:
            live, config = active, not active
        if live and not active:
            raise not_running()
        if config and not obj.persistent:
            raise qemu_error(ErrorNumber.OPERATION_INVALID, "cannot change persistent config of a transient domain")
        if config and active:
            with obj.lock:
                obj.prepare_live_change()
        return (obj.definition if live else None), (obj.persistent_definition() if config else None)

    def domain_set_memory_flags(self, dom: DomainRef, kib: int, flags: int = 0) -> None:
        check_flags(flags, AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM, "qemuDomainSetMemoryFlags")
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            if flags & MEM_MAXIMUM:
                if live_def is not None:
                    raise qemu_error(ErrorNumber.OPERATION_INVALID, "cannot resize the maximum memory on an active domain")
                assert config_def is not None
                with obj.lock:
                    config_def.memory = kib
                    if (config_def.current_memory or 0) > kib:
                        config_def.current_memory = kib
                self._save_config(obj)
                return
            for d in (live_def, config_def):
                if d is not None and kib > (d.memory or 0):
                    raise qemu_error(ErrorNumber.INVALID_ARG, "cannot set memory higher than max memory")
            if live_def is not None:
                devices = live_def.element.find("devices")
                if devices is None or devices.find("memballoon[@model='virtio']") is None:
                    raise qemu_error(ErrorNumber.OPERATION_INVALID, "Unable to change memory of active domain without the balloon device and guest OS balloon driver")
                self._qmp(obj, "balloon", {"value": kib * 1024})
                with obj.lock:
                    live_def.current_memory = kib
                self._save_status(obj)
            if config_def is not None:
                with obj.lock:
                    config_def.current_memory = kib
                self._save_config(obj)
