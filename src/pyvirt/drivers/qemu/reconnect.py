"""Driver start: read configs and status files, reconnect to every QEMU still running.

A QEMU that died while nobody watched is booked shut off (reason crashed), one that lives but
cannot be reached is killed (it could not be managed), and autostart domains are started.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from ...conf import DomainDef
from ...enums import (
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainState,
)
from ...errors import VirtError
from ...objects.domain import DomainObject
from ...objects.domainlist import DomainList
from .access import JOB_TIMEOUT, QemuDriverBase
from .process import QemuProcess, attach
from .state import STATE_BY_NAME
from .statefile import StatusRecord, read_status, remove_file

__all__ = ["ReconnectMixin"]


class ReconnectMixin(QemuDriverBase):
    """Loading the driver root and finding running guests again."""

    # ========================================================================================
    # loading and reconnecting

    def _load_all(self) -> None:
        """Read configs and status files; reconnect to every QEMU that still runs."""
        paths = self.paths
        configs: dict[str, DomainDef] = {}
        for cfg in sorted(paths.config_dir.glob("*.xml")):
            try:
                configs[cfg.stem] = DomainDef.from_xml(cfg.read_bytes())
            except VirtError:
                continue  # a broken config is skipped, as libvirt does
        records: dict[str, StatusRecord] = {}
        for st in sorted(paths.run_dir.glob("*.xml")):
            try:
                records[st.stem] = read_status(st)
            except VirtError:
                remove_file(st)
        max_id = 0
        live_defs: dict[str, DomainDef] = {}
        for name, rec in records.items():
            try:
                live = DomainDef.from_xml(rec.domain_xml)
            except VirtError:
                remove_file(paths.status(name))
                continue
            live_defs[name] = live
            max_id = max(max_id, live.id or 0)
        self.state.domains = DomainList(first_id=max_id + 1)
        for name, definition in configs.items():
            obj = DomainObject(definition, persistent=True)
            obj.has_managed_save = paths.managed_save(name).exists()
            obj.autostart = paths.autostart(name).exists()
            self._new_object_hooks(obj)
            self.state.domains.add(obj)
        for name, live in live_defs.items():
            self._reconnect(name, live, records[name], configs.get(name))
        self._autostart()

    def _autostart(self) -> None:
        """Start the domains marked autostart that do not run (libvirt does this at driver start)."""
        for obj in self.state.domains.all():
            if obj.autostart and obj.persistent and not obj.is_active():
                try:
                    with obj.job("start", timeout=JOB_TIMEOUT):
                        if obj.has_managed_save and self.paths.managed_save(obj.name).exists():
                            self._restore_into(obj, self.paths.managed_save(obj.name), paused=None, managed=True)  # type: ignore[attr-defined]
                        else:
                            self._start(obj, paused=False)  # type: ignore[attr-defined]
                except VirtError:
                    continue  # libvirt logs and goes on with the others

    def _new_object_hooks(self, obj: DomainObject) -> None:
        """Per-object set-up shared with the snapshot part (which loads snapshot metadata)."""
        loader = getattr(self, "_load_snapshots", None)
        if loader is not None:
            loader(obj)

    def _reconnect(self, name: str, live: DomainDef, rec: StatusRecord, config: DomainDef | None) -> None:
        paths = self.paths
        obj = self.state.domains.by_name(name)
        if obj is None:
            obj = DomainObject(live.copy(), persistent=False)
            self._new_object_hooks(obj)
            self.state.domains.add(obj)
        box: dict[str, QemuProcess] = {}
        proc: QemuProcess | None = None
        reason = DomainShutoffReason.CRASHED
        try:
            proc = attach(
                name,
                rec.pid,
                rec.start_time,
                monitor_path=Path(rec.monitor),
                log_path=paths.log(name),
                on_event=self._event_handler(obj, box),
                on_eof=lambda: box["proc"].monitor_eof() if "proc" in box else None,
            )
        except VirtError:
            # alive but unreachable: it cannot be managed, so it must not run on unseen
            from .pidfd import ProcessHandle

            try:
                with ProcessHandle(rec.pid) as handle:
                    handle.send_signal(signal.SIGKILL)
                    handle.wait(5)
            except (ProcessLookupError, OSError):
                pass
            proc = None
        if proc is None:
            # it died while nobody watched: shut off, reason crashed (libvirt's reconnect)
            with obj.lock:
                obj.definition = config if config is not None else obj.definition
                obj.new_definition = None
                obj.id = -1
                obj.set_state(DomainState.SHUTOFF, reason)
            remove_file(paths.status(name))
            remove_file(paths.monitor(name))
            if config is None:
                self.state.domains.remove(obj)
            return
        box["proc"] = proc
        with obj.lock:
            obj.definition = live
            obj.new_definition = config.copy() if config is not None else None
            obj.persistent = config is not None
            obj.id = live.id or self.state.domains.allocate_id()
            state = STATE_BY_NAME.get(rec.state, DomainState.RUNNING)
            obj.set_state(state, rec.reason)
            obj.driver_data["process"] = proc
            obj.driver_data["stopped"] = threading.Event()
        # QEMU may have paused or resumed while we were away: ask it
        try:
            status = proc.monitor.execute("query-status", timeout=10)  # type: ignore[union-attr]
            running = bool(status.get("running"))
            with obj.lock:
                if running and obj.state == DomainState.PAUSED:
                    obj.set_state(DomainState.RUNNING, DomainRunningReason.UNPAUSED)
                elif not running and obj.state == DomainState.RUNNING:
                    obj.set_state(DomainState.PAUSED, DomainPausedReason.UNKNOWN)
        except VirtError:
            pass
        proc.watch(self.state.watcher, self._exit_handler(obj))
        self._save_status(obj)
