"""Domains as names in the driver: lookup, listing, define, undefine and rename."""

from __future__ import annotations

import os

from ...conf import DomainDef
from ...driver.refs import DomainRef
from ...enums import (
    DomainEventDefinedDetail,
    DomainEventType,
    DomainEventUndefinedDetail,
)
from ...errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from ...objects.domain import DomainObject
from .access import JOB_TIMEOUT, QemuDriverBase
from .definitions import list_filter_matches, parse_definition
from .errors import check_flags, qemu_error
from .flags import (
    DEFINE_VALIDATE,
    UNDEFINE_KEEP_NVRAM,
    UNDEFINE_MANAGED_SAVE,
    UNDEFINE_SNAPSHOTS_METADATA,
)
from .qmpevents import lifecycle_event
from .statefile import remove_file

__all__ = ["DomainsMixin"]


class DomainsMixin(QemuDriverBase):
    """virDomainLookup*, virConnectList*, virDomainDefineXML, virDomainUndefine, virDomainRename."""

    # ========================================================================================
    # lookup and lists

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        obj = self.state.domains.by_name(name)
        if obj is None:
            raise virt_error(ErrorNumber.NO_DOMAIN, f"no domain with matching name '{name}'", domain=ErrorDomain.QEMU)
        return obj.ref()

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        obj = self.state.domains.by_uuid(uuid.lower())
        if obj is None:
            raise virt_error(ErrorNumber.NO_DOMAIN, f"no domain with matching uuid '{uuid}'", domain=ErrorDomain.QEMU)
        return obj.ref()

    def domain_lookup_by_id(self, id: int) -> DomainRef:
        obj = self.state.domains.by_id(id)
        if obj is None:
            raise virt_error(ErrorNumber.NO_DOMAIN, f"no domain with matching id {id}", domain=ErrorDomain.QEMU)
        return obj.ref()

    def connect_list_all_domains(self, flags: int = 0) -> list[DomainRef]:
        return [o.ref() for o in self.state.domains.all() if list_filter_matches(o, flags)]

    def connect_num_of_domains(self) -> int:
        return self.state.domains.count(active=True)

    def connect_list_domains(self, maxids: int) -> list[int]:
        return sorted(o.id for o in self.state.domains.all() if o.is_active())[: max(maxids, 0)]

    def connect_num_of_defined_domains(self) -> int:
        return self.state.domains.count(active=False)

    def connect_list_defined_domains(self, maxnames: int) -> list[str]:
        return sorted(o.name for o in self.state.domains.all() if not o.is_active())[: max(maxnames, 0)]

    # ========================================================================================
    # define / undefine

    def _add(self, definition: DomainDef, *, live: bool) -> tuple[DomainObject, bool]:
        """virDomainObjListAdd: same uuid must mean same name and vice versa."""
        state = self.state
        with state.lock:
            existing = state.domains.by_uuid(definition.uuid)
            if existing is None:
                other = state.domains.by_name(definition.name)
                if other is not None:
                    raise virt_error(
                        ErrorNumber.OPERATION_FAILED,
                        f"domain '{definition.name}' already exists with uuid {other.uuid}",
                        domain=ErrorDomain.QEMU,
                    )
                obj = DomainObject(definition, persistent=not live)
                self._new_object_hooks(obj)
                state.domains.add(obj)
                return obj, False
        if existing.name != definition.name:
            raise virt_error(
                ErrorNumber.OPERATION_FAILED,
                f"domain '{existing.name}' is already defined with uuid {existing.uuid}",
                domain=ErrorDomain.QEMU,
            )
        return existing, True

    def domain_define_xml(self, xml: str, flags: int = 0) -> DomainRef:
        check_flags(flags, DEFINE_VALIDATE, "qemuDomainDefineXMLFlags")
        definition = parse_definition(xml, validate=bool(flags & DEFINE_VALIDATE))
        obj, existed = self._add(definition, live=False)
        if existed:
            with obj.job("define", timeout=JOB_TIMEOUT):
                with obj.lock:
                    if obj.is_active():
                        obj.new_definition = definition
                    else:
                        obj.definition = definition
                    obj.persistent = True
                self._save_config(obj)
        else:
            try:
                self._save_config(obj)
            except VirtError:
                self.state.domains.remove(obj)
                raise
        detail = DomainEventDefinedDetail.UPDATED if existed else DomainEventDefinedDetail.ADDED
        self._emit(lifecycle_event(obj, DomainEventType.DEFINED, detail))
        return obj.ref()

    def domain_undefine(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA | UNDEFINE_KEEP_NVRAM | 4,
                    "qemuDomainUndefineFlags")
        with self._job(dom, "undefine") as obj:
            if not obj.persistent:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "cannot undefine transient domain")
            if obj.has_managed_save and not flags & UNDEFINE_MANAGED_SAVE:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "Refusing to undefine while domain managed save image exists")
            nsnap = len(obj.snapshots) if obj.snapshots is not None else 0
            if nsnap and not flags & UNDEFINE_SNAPSHOTS_METADATA:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, f"cannot delete inactive domain with {nsnap} snapshots")
            name = obj.name
            remove_file(self.paths.config(name))
            remove_file(self.paths.autostart(name))
            if obj.has_managed_save:
                remove_file(self.paths.managed_save(name))
            snapdir = self.paths.snapshots(name)
            if snapdir.exists():
                for f in snapdir.glob("*.xml"):
                    remove_file(f)
                try:
                    snapdir.rmdir()
                except OSError:
                    pass
            if obj.snapshots is not None:
                obj.snapshots.clear()
            self._emit(lifecycle_event(obj, DomainEventType.UNDEFINED, DomainEventUndefinedDetail.REMOVED))
            with obj.lock:
                obj.has_managed_save = False
                obj.autostart = False
                if obj.is_active():
                    obj.persistent = False
                    obj.new_definition = None
                    return
            self.state.domains.remove(obj)

    # ========================================================================================
    # rename and metadata

    def domain_rename(self, dom: DomainRef, new_name: str, flags: int = 0) -> DomainRef:
        """virDomainRename: an inactive, persistent domain without saved state or snapshots."""
        check_flags(flags, 0, "qemuDomainRename")
        with self._job(dom, "rename") as obj:
            if obj.is_active():
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "cannot rename active domain")
            if not obj.persistent:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "cannot rename a transient domain")
            if obj.has_managed_save:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "domain with a managed saved state can't be renamed")
            if obj.snapshots is not None and len(obj.snapshots):
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "cannot rename domain with snapshots")
            if new_name == obj.name:
                raise virt_error(ErrorNumber.OPERATION_INVALID, "Can't rename domain to itself", domain=ErrorDomain.DOMAIN)
            if "/" in new_name or "\n" in new_name:
                raise virt_error(ErrorNumber.XML_ERROR, f"name {new_name} cannot contain '/'", domain=ErrorDomain.DOMAIN)
            old_name = obj.name
            gone = lifecycle_event(obj, DomainEventType.UNDEFINED, DomainEventUndefinedDetail.RENAMED)
            with self.state.lock:
                self.state.domains.rename(obj, new_name)
            try:
                self._save_config(obj)
            except VirtError:
                with self.state.lock:
                    self.state.domains.rename(obj, old_name)
                raise
            remove_file(self.paths.config(old_name))
            if obj.autostart:
                remove_file(self.paths.autostart(old_name))
                os.symlink(self.paths.config(new_name), self.paths.autostart(new_name))
            self._emit(gone)
            self._emit(lifecycle_event(obj, DomainEventType.DEFINED, DomainEventDefinedDetail.RENAMED))
            return obj.ref()
