"""Save, restore and managed save through QEMU's migration stream into a libvirt save image."""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path

from ...driver.refs import DomainRef
from ...enums import (
    DomainEventStartedDetail,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainState,
)
from ...errors import ErrorNumber, VirtError
from ...objects.domain import DomainObject
from . import command
from .access import JOB_TIMEOUT, QemuDriverBase
from .errors import check_flags, qemu_error
from .flags import SAVE_BYPASS_CACHE, SAVE_PAUSED, SAVE_RUNNING
from .process import QemuProcess
from .saveimage import finish_save_image, read_save_header, write_save_header
from .statefile import remove_file

__all__ = ["MIGRATION_TIMEOUT", "SaveRestoreMixin"]

#: how long save/restore jobs may run before they are called stuck
MIGRATION_TIMEOUT = 600.0


class SaveRestoreMixin(QemuDriverBase):
    """virDomainSave/Restore, managed save, and the save image's XML."""

    #: bytes/s for save and managed save; None is unlimited (as libvirt saves)
    save_bandwidth: int | None = None

    def _migrate_wait(self, obj: DomainObject, what: str) -> None:
        """Poll an outgoing/incoming migration to its end; the job stays abortable meanwhile."""
        deadline = time.monotonic() + MIGRATION_TIMEOUT
        delay = 0.005
        while True:
            info = self._qmp(obj, "query-migrate")
            status = info.get("status")
            obj.driver_data["job_stats"] = info
            if status == "completed":
                return
            if status in ("failed", "cancelled"):
                if status == "cancelled" or obj.driver_data.get("abort_requested"):
                    raise qemu_error(ErrorNumber.OPERATION_ABORTED, f"operation aborted: {what} job: canceled by client")
                raise qemu_error(ErrorNumber.OPERATION_FAILED, f"{what} job: unexpectedly failed: {info.get('error-desc', '')}")
            if time.monotonic() > deadline:
                self._qmp(obj, "migrate_cancel")
                raise qemu_error(ErrorNumber.OPERATION_TIMEOUT, f"{what} job timed out")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _save_to(self, obj: DomainObject, path: Path, flags: int = 0) -> None:
        """Pause, stream the guest state into ``path`` after our header, stop QEMU.

        SAVE_RUNNING / SAVE_PAUSED override the state the header records, so a plain restore
        later starts the guest that way (libvirt's qemuSaveImageCreate does the same).
        """
        self._process(obj)
        was_running = obj.state == DomainState.RUNNING
        start_running = True if flags & SAVE_RUNNING else False if flags & SAVE_PAUSED else was_running
        write_save_header(path, obj.definition, start_running)
        obj.driver_data["async_job"] = {"type": "save", "started": time.monotonic()}
        try:
            with self._own_events(obj):
                if was_running:
                    self._qmp(obj, "stop")
                    with obj.lock:
                        obj.set_state(DomainState.PAUSED, DomainPausedReason.SAVE)
                bandwidth = self.save_bandwidth if self.save_bandwidth else 1 << 40
                self._qmp(obj, "migrate-set-parameters", {"max-bandwidth": bandwidth})
                self._qmp(obj, "migrate", {"uri": f"exec:cat >> {shlex.quote(os.fspath(path))}"})
                try:
                    self._migrate_wait(obj, "save")
                except VirtError:
                    if was_running:
                        try:
                            self._qmp(obj, "cont")
                            with obj.lock:
                                obj.set_state(DomainState.RUNNING, DomainRunningReason.SAVE_CANCELED)
                        except VirtError:
                            pass
                    remove_file(path)
                    raise
            finish_save_image(path)
        finally:
            obj.driver_data.pop("async_job", None)
            obj.driver_data.pop("abort_requested", None)
        proc = self._process(obj)
        self._kill(obj, proc, DomainShutoffReason.SAVED)

    def domain_save(self, dom: DomainRef, path: str, dxml: str | None = None, flags: int = 0) -> None:
        check_flags(flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED, "qemuDomainSaveFlags")
        if dxml:
            raise qemu_error(ErrorNumber.ARGUMENT_UNSUPPORTED, "xml modification of the saved domain is not supported")
        with self._job(dom, "save") as obj:
            self._save_to(obj, Path(path), flags)

    def domain_managed_save(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED, "qemuDomainManagedSave")
        with self._job(dom, "save") as obj:
            self._process(obj)
            if not obj.persistent:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "cannot do managed save for transient domain")
            self._save_to(obj, self.paths.managed_save(obj.name), flags)
            with obj.lock:
                obj.has_managed_save = True

    def domain_has_managed_save_image(self, dom: DomainRef, flags: int = 0) -> bool:
        return bool(self._obj(dom).has_managed_save)

    def domain_managed_save_remove(self, dom: DomainRef, flags: int = 0) -> None:
        with self._job(dom, "modify") as obj:
            remove_file(self.paths.managed_save(obj.name))
            with obj.lock:
                obj.has_managed_save = False

    def domain_save_image_get_xml_desc(self, path: str, flags: int = 0) -> str:
        definition, _running, _offset = read_save_header(Path(path))
        return definition.to_xml(inactive=True, secure=bool(flags & 1))

    def domain_restore(self, path: str, dxml: str | None = None, flags: int = 0) -> None:
        check_flags(flags, SAVE_BYPASS_CACHE | SAVE_RUNNING | SAVE_PAUSED, "qemuDomainRestoreFlags")
        if dxml:
            raise qemu_error(ErrorNumber.ARGUMENT_UNSUPPORTED, "xml modification of the saved domain is not supported")
        definition, _running, _offset = read_save_header(Path(path))
        command.prepare_definition(definition.element, live=False)
        obj, existed = self._add(definition, live=True)
        with obj.job("restore", timeout=JOB_TIMEOUT):
            if existed:
                if obj.is_active():
                    raise qemu_error(ErrorNumber.OPERATION_INVALID, f"domain '{obj.name}' is already active")
                with obj.lock:
                    if obj.persistent:
                        obj.new_definition = obj.definition
                    obj.definition = definition
            try:
                self._restore_into(obj, Path(path), paused=None if not flags & (SAVE_RUNNING | SAVE_PAUSED)
                                   else bool(flags & SAVE_PAUSED), managed=False, use_image_def=not existed)
            except BaseException:
                if not obj.persistent and not obj.is_active():
                    self.state.domains.remove(obj)
                raise

    def _restore_into(self, obj: DomainObject, path: Path, *, paused: bool | None, managed: bool,
                      use_image_def: bool = True) -> None:
        definition, was_running, offset = read_save_header(path)
        if managed or use_image_def:
            with obj.lock:
                if obj.persistent and obj.new_definition is None and not obj.is_active():
                    # the config stays as defined; the saved live definition runs
                    obj.new_definition = obj.definition
                obj.definition = definition
        start_paused = (not was_running) if paused is None else paused

        def incoming(proc: QemuProcess) -> None:
            mon = proc.monitor
            mon.execute("migrate-incoming", {"uri": f"exec:tail -c +{offset + 1} {shlex.quote(os.fspath(path))}"})  # type: ignore[union-attr]
            self._migrate_wait(obj, "restore")

        self._start(obj, paused=start_paused, incoming="defer", reason=DomainRunningReason.RESTORED,
                    event_detail=DomainEventStartedDetail.RESTORED, before_cont=incoming)
        if managed:
            remove_file(path)
            with obj.lock:
                obj.has_managed_save = False
