"""Domain snapshots for the QEMU driver: internal qcow2 snapshots, metadata kept on disk.

Why internal snapshots: one qcow2 file holds the disk state and, for a running guest, the
memory (vmstate), so create and revert need no extra files. A running guest uses QEMU's
``snapshot-save`` / ``snapshot-load`` / ``snapshot-delete`` jobs (vmstate on the first writable
qcow2 disk, every writable qcow2 disk included); a shut-off guest uses ``qemu-img snapshot``.
External disk-only snapshots put a new qcow2 overlay on each disk (``qemu-img create -b``; for a
running guest the overlays are swapped in with one ``blockdev-snapshot`` transaction); as in
libvirt 9.0 they cannot be reverted to, and only their metadata can be deleted.

The tree and the document come from :mod:`pyvirt.objects.snapshots`, shared with the test
driver. Each snapshot's metadata is written atomically to
``etc/qemu/snapshot/<domain>/<snapshot>.xml`` (with libvirt's ``<active>`` marker for the
current one) and read back when the driver starts.

Revert restores two definitions, as libvirt's QEMU driver does: the snapshot's ``<domain>``
becomes the running definition and ``<inactiveDomain>`` (if recorded) the persistent config.
A revert QEMU refuses half-way leaves the guest paused in QEMU (its ``restore-vm`` state): the
domain is then booked as paused, with a SUSPENDED/API_ERROR event and a clear error.
"""

from __future__ import annotations

import itertools
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._core import xmlcore
from ...driver.refs import DomainRef, SnapshotRef
from ...driver.snapshot import check_create_flags, check_delete_flags, check_revert_flags
from ...enums import (
    DomainEventResumedDetail,
    DomainEventStartedDetail,
    DomainEventSuspendedDetail,
    DomainEventType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainState,
)
from ...enums import DomainSnapshotCreateFlags as C
from ...enums import DomainSnapshotDeleteFlags as D
from ...enums import DomainSnapshotRevertFlags as R
from ...errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from ...events import DomainLifecycleEvent
from ...objects.snapshot_queries import SnapshotQueries
from ...objects.snapshots import SnapshotDoc, SnapshotNode, SnapshotTree
from . import command
from .statefile import atomic_write, remove_file

if TYPE_CHECKING:
    from ...conf import DomainDef
    from ...objects.domain import DomainObject

__all__ = ["QemuSnapshots"]

_RUNNING_STATES = ("running", "paused")
_CREATE_ALLOWED = (
    C.REDEFINE | C.CURRENT | C.NO_METADATA | C.HALT | C.DISK_ONLY | C.REUSE_EXT | C.ATOMIC | C.LIVE | C.VALIDATE
)
#: how long one snapshot job may take (a large guest's vmstate takes a while)
SNAPSHOT_JOB_TIMEOUT = 600.0
_job_ids = itertools.count(1)


def _err(code: int, detail: str | None = None, domain: int = ErrorDomain.QEMU) -> VirtError:
    return virt_error(code, detail, domain=domain)


def _check_flags(flags: int, allowed: int, function: str) -> None:
    extra = int(flags) & ~int(allowed)
    if extra:
        text = f"unsupported flags (0x{extra:x}) in function {function}"
        raise virt_error(ErrorNumber.INVALID_ARG, text, domain=ErrorDomain.QEMU, message=text)


def _tree(obj: DomainObject) -> SnapshotTree:
    if obj.snapshots is None:
        obj.snapshots = SnapshotTree()
    return obj.snapshots  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# disks


def _internal_disks(definition: DomainDef, *, name: str) -> list[tuple[str, str, str]]:
    """(target, image path, format node) of each disk an internal snapshot covers.

    Read-only and empty disks are skipped; a writable disk that is not qcow2 makes an internal
    snapshot impossible (libvirt's error).
    """
    out = []
    devices = definition.element.find("devices")
    if devices is None:
        return out
    for disk in devices.findall("disk"):
        if disk.find("readonly") is not None or disk.get("device") in ("cdrom", "floppy"):
            continue
        if not command._disk_has_source(disk):
            continue
        target = disk.find("target").get("dev", "?")
        drv = disk.find("driver")
        fmt = (drv.get("type") if drv is not None else None) or "raw"
        if disk.get("snapshot") == "no":
            continue
        if fmt != "qcow2":
            raise _err(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"internal snapshot for disk {target} unsupported for storage type {fmt}",
            )
        src = disk.find("source")
        path = src.get("file") or src.get("dev") or ""
        out.append((target, path, command.disk_format_node(disk) or ""))
    return out


def _qemu_img(*args: str) -> None:
    try:
        proc = subprocess.run(["qemu-img", *args], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _err(ErrorNumber.OPERATION_FAILED, f"qemu-img {' '.join(args)}: {exc}") from None
    if proc.returncode != 0:
        raise _err(ErrorNumber.OPERATION_FAILED, f"qemu-img {args[0]} {args[1]} failed: {proc.stderr.strip()}")


class QemuSnapshots(SnapshotQueries):
    """The snapshot half of :class:`~pyvirt.drivers.qemu.driver.QemuDriver` (a mixin)."""

    # provided by the driver
    state: Any
    paths: Any
    _qmp: Any
    _own_events: Any
    _start: Any
    _kill: Any
    _save_status: Any
    _save_config: Any
    _process: Any
    _obj: Any

    # -- persistence -------------------------------------------------------------------------------

    def _load_snapshots(self, obj: DomainObject) -> None:
        """Read ``etc/qemu/snapshot/<name>/*.xml`` into the domain's tree."""
        tree = _tree(obj)
        directory = self.paths.snapshots(obj.name)
        if not directory.is_dir():
            return
        parents: dict[str, str | None] = {}
        for path in sorted(directory.glob("*.xml")):
            try:
                doc, is_current = SnapshotDoc.parse_element(xmlcore.parse(path.read_bytes()), redefine=True, internal=True)
            except (VirtError, xmlcore.ParseFailure, OSError):
                continue  # libvirt skips (and logs) damaged metadata
            node = tree.add(doc.name, doc, state=doc.state, external=doc.is_external())
            parents[doc.name] = doc.parent_name
            if is_current:
                tree.current = node
        try:
            tree.relink_all(parents)
        except VirtError:
            pass

    def _write_snapshot(self, obj: DomainObject, node: SnapshotNode) -> None:
        tree = _tree(obj)
        doc: SnapshotDoc = node.definition
        text = doc.to_xml(parent_name=node.parent_name, secure=True, current=tree.current is node)
        atomic_write(self.paths.snapshot(obj.name, node.name), text)

    def _write_all_snapshots(self, obj: DomainObject) -> None:
        for node in _tree(obj):
            self._write_snapshot(obj, node)

    def _forget_snapshot_file(self, obj: DomainObject, name: str) -> None:
        remove_file(self.paths.snapshot(obj.name, name))

    # -- helpers -------------------------------------------------------------------------------------

    # hooks of SnapshotQueries (look-ups, listings: pyvirt.objects.snapshot_queries)
    _snapshot_api_prefix = "qemu"
    _snapshot_check_flags = staticmethod(_check_flags)

    def _snapshot_domain(self, dom: DomainRef) -> DomainObject:
        return self._obj(dom)  # type: ignore[no-any-return]

    @staticmethod
    def _snapshot_owner_ref(obj: DomainObject) -> DomainRef:
        return obj.ref()

    @staticmethod
    def _snapshot_error(code: int, detail: str | None = None) -> VirtError:
        return _err(code, detail)

    def _emit_lifecycle(self, obj: DomainObject, event: int, detail: int) -> None:
        self.state.events.emit(DomainLifecycleEvent(obj.ref(), DomainEventType(event), int(detail)))

    def _run_qmp_job(self, obj: DomainObject, command_name: str, arguments: dict[str, Any]) -> None:
        """Start a QMP job, wait for it to conclude (abortable), dismiss it, raise its error."""
        job_id = f"pyvirt-{command_name}-{next(_job_ids)}"
        obj.driver_data["async_job"] = {"type": "snapshot", "started": time.monotonic(), "qmp_job": job_id}
        try:
            self._qmp(obj, command_name, {"job-id": job_id, **arguments})
            deadline = time.monotonic() + SNAPSHOT_JOB_TIMEOUT
            delay = 0.002
            while True:
                jobs = self._qmp(obj, "query-jobs")
                mine = next((j for j in jobs if j.get("id") == job_id), None)
                if mine is None or mine.get("status") in ("concluded", "null"):
                    break
                if time.monotonic() > deadline:
                    self._qmp(obj, "job-cancel", {"id": job_id})
                    raise _err(ErrorNumber.OPERATION_TIMEOUT, f"{command_name} job timed out")
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
            try:
                self._qmp(obj, "job-dismiss", {"id": job_id})
            except VirtError:
                pass
            if mine is not None and mine.get("error"):
                if obj.driver_data.get("abort_requested"):
                    raise _err(ErrorNumber.OPERATION_ABORTED, "operation aborted: snapshot job: canceled by client")
                raise _err(ErrorNumber.OPERATION_FAILED, f"{command_name} job failed: {mine['error']}")
        finally:
            obj.driver_data.pop("async_job", None)
            obj.driver_data.pop("abort_requested", None)

    # -- create ----------------------------------------------------------------------------------------

    def domain_snapshot_create_xml(self, dom: DomainRef, xml: str, flags: int = 0) -> SnapshotRef:
        check_create_flags(flags)
        _check_flags(flags, _CREATE_ALLOWED, "qemuDomainSnapshotCreateXML")
        obj = self._obj(dom)
        if not obj.persistent and flags & C.HALT:
            raise _err(ErrorNumber.OPERATION_INVALID, "cannot halt after transient domain snapshot")
        doc = SnapshotDoc.parse(xml, redefine=bool(flags & C.REDEFINE), validate=bool(flags & C.VALIDATE))
        with obj.job("snapshot", timeout=30.0):
            if self.state.domains.by_uuid(dom.uuid) is not obj:
                raise _err(ErrorNumber.NO_DOMAIN, f"no domain with matching uuid '{dom.uuid}' ({dom.name})")
            tree = _tree(obj)
            if flags & C.REDEFINE:
                return self._snapshot_redefine(obj, tree, doc, flags)
            if doc.name in tree:
                raise _err(ErrorNumber.OPERATION_FAILED, f"domain moment {doc.name} already exists", ErrorDomain.DOMAIN)
            disk_only = bool(flags & C.DISK_ONLY)
            if doc.memory == "external" or (doc.is_external() and not disk_only):
                raise _err(ErrorNumber.CONFIG_UNSUPPORTED, "external memory snapshots are not supported by this QEMU driver")
            active = obj.is_active()
            with obj.lock:
                doc.capture(obj.definition, obj.new_definition, obj.state, active, disk_only=disk_only)
            definition = obj.definition
            if disk_only:
                self._create_external(obj, doc, reuse=bool(flags & C.REUSE_EXT))
            elif active:
                disks = _internal_disks(definition, name=doc.name)
                if not disks:
                    raise _err(ErrorNumber.OPERATION_UNSUPPORTED,
                               "internal snapshot of a running VM must include the memory state")
                nodes = [node for _t, _p, node in disks]
                with self._own_events(obj):
                    self._run_qmp_job(obj, "snapshot-save", {"tag": doc.name, "vmstate": nodes[0], "devices": nodes})
            else:
                for _t, path, _n in _internal_disks(definition, name=doc.name):
                    _qemu_img("snapshot", "-c", doc.name, path)
            with obj.lock:
                doc.parent_name = tree.current_name
                if not flags & C.NO_METADATA:
                    previous = tree.current
                    node = tree.add(doc.name, doc, parent_name=doc.parent_name, state=doc.state,
                                    external=doc.is_external())
                    tree.current = node
            if not flags & C.NO_METADATA:
                self._write_snapshot(obj, node)
                if previous is not None:
                    self._write_snapshot(obj, previous)
            if flags & C.HALT and obj.is_active():
                proc = self._process(obj)
                self._kill(obj, proc, DomainShutoffReason.FROM_SNAPSHOT)
            return self._snap_ref(obj, doc.name)

    def _create_external(self, obj: DomainObject, doc: SnapshotDoc, *, reuse: bool) -> None:
        """Disk-only snapshot: a new qcow2 overlay on top of each selected disk.

        Running: the overlays are opened as block nodes and swapped in atomically with a
        ``transaction`` of ``blockdev-snapshot``; shut off: they are only created. Either way the
        definitions then name the overlays, so the next start uses them.
        """
        active = obj.is_active()
        live = obj.definition
        plan: list[tuple[Any, str, str, str]] = []  # (domain disk element, overlay, base, base format)
        for entry in doc.definition.element.findall("disks/disk"):
            if entry.get("snapshot") != "external":
                continue
            dev = entry.get("name")
            disk = next((d for d in live.element.findall("devices/disk") if d.find("target").get("dev") == dev), None)
            src = entry.find("source")
            if disk is None or src is None or not src.get("file"):
                raise _err(ErrorNumber.CONFIG_UNSUPPORTED, f"external snapshot target for disk {dev} is not a file")
            base_src = disk.find("source")
            base = (base_src.get("file") or base_src.get("dev") or "") if base_src is not None else ""
            drv = disk.find("driver")
            fmt = (drv.get("type") if drv is not None else None) or "raw"
            overlay = src.get("file")
            if not reuse and Path(overlay).exists():
                raise _err(ErrorNumber.OPERATION_INVALID,
                           f"external snapshot file for disk {dev} already exists and is not a block device: {overlay}")
            plan.append((disk, overlay, base, fmt))
        if not plan:
            raise _err(ErrorNumber.CONFIG_UNSUPPORTED, "nothing selected for snapshot")
        created: list[str] = []
        try:
            for _disk, overlay, base, fmt in plan:
                if not reuse:
                    _qemu_img("create", "-q", "-f", "qcow2", "-F", fmt, "-b", base, overlay)
                    created.append(overlay)
            if active:
                self._swap_in_overlays(obj, plan)
        except BaseException:
            for path in created:
                Path(path).unlink(missing_ok=True)
            raise
        # the persistent configuration follows (libvirt updates vm->newDef too)
        with obj.lock:
            targets = [obj.definition]
            if obj.persistent and obj.new_definition is not None:
                targets.append(obj.new_definition)
            for definition in targets:
                for disk, overlay, _base, _fmt in plan:
                    dev = disk.find("target").get("dev")
                    mine = next((d for d in definition.element.findall("devices/disk")
                                 if d.find("target").get("dev") == dev), None)
                    if mine is None:
                        continue
                    mine.set("type", "file")
                    src = mine.find("source")
                    src.attrib.pop("dev", None)
                    src.set("file", overlay)
                    drv = mine.find("driver")
                    if drv is not None:
                        drv.set("type", "qcow2")
        if active:
            self._save_status(obj)
        if obj.persistent:
            self._save_config(obj)

    def _swap_in_overlays(self, obj: DomainObject, plan: list[tuple[Any, str, str, str]]) -> None:
        root = obj.definition.element
        actions = []
        added: list[str] = []
        try:
            for disk, overlay, _base, _fmt in plan:
                old_format = command.disk_format_node(disk)
                index = command.next_node_index(root) + len(added) // 2
                storage, fmt_node = f"libvirt-{index}-storage", f"libvirt-{index}-format"
                self._qmp(obj, "blockdev-add", {"driver": "file", "filename": overlay, "node-name": storage,
                                                "auto-read-only": True, "discard": "unmap"})
                added.append(storage)
                self._qmp(obj, "blockdev-add", {"node-name": fmt_node, "read-only": False, "driver": "qcow2",
                                                "file": storage, "backing": None})
                added.append(fmt_node)
                actions.append({"type": "blockdev-snapshot", "data": {"node": old_format, "overlay": fmt_node}})
                disk.find("source").set("pending-index", str(index))
            self._qmp(obj, "transaction", {"actions": actions})
        except BaseException:
            for node in reversed(added):
                try:
                    self._qmp(obj, "blockdev-del", {"node-name": node})
                except VirtError:
                    pass
            for disk, *_ in plan:
                disk.find("source").attrib.pop("pending-index", None)
            raise
        with obj.lock:
            for disk, *_ in plan:
                src = disk.find("source")
                src.set("index", src.attrib.pop("pending-index"))

    def _snapshot_redefine(self, obj: DomainObject, tree: SnapshotTree, doc: SnapshotDoc, flags: int) -> SnapshotRef:
        tree.check_parent(doc.name, doc.parent_name)
        if doc.domain_uuid is not None and doc.domain_uuid != obj.uuid:
            raise _err(ErrorNumber.INVALID_ARG, f"definition for snapshot {doc.name} must use uuid {obj.uuid}",
                       ErrorDomain.DOMAIN_SNAPSHOT)
        other = tree.get(doc.name)
        if other is not None:
            old: SnapshotDoc = other.definition
            if (old.state in _RUNNING_STATES) != (doc.state in _RUNNING_STATES):
                raise _err(ErrorNumber.INVALID_ARG,
                           f"cannot change between online and offline snapshot state in snapshot {doc.name}",
                           ErrorDomain.DOMAIN_SNAPSHOT)
            if doc.domain is None and old.domain is not None:
                doc.domain = old.domain
                doc.inactive_domain = doc.inactive_domain or old.inactive_domain
        if doc.domain is None:
            raise _err(ErrorNumber.INTERNAL_ERROR, "missing domain in snapshot", ErrorDomain.DOMAIN_SNAPSHOT)
        doc.align_disks()
        with obj.lock:
            if other is not None:
                tree.replace(other, doc, state=doc.state, external=doc.is_external())
                tree.set_parent(other, doc.parent_name)
                node = other
            else:
                node = tree.add(doc.name, doc, parent_name=doc.parent_name, state=doc.state, external=doc.is_external())
            if flags & C.CURRENT:
                tree.current = node
        self._write_all_snapshots(obj)
        return self._snap_ref(obj, doc.name)

    # -- delete ----------------------------------------------------------------------------------------

    def domain_snapshot_delete(self, snap: SnapshotRef, flags: int = 0) -> None:
        check_delete_flags(flags)
        _check_flags(flags, D.CHILDREN | D.CHILDREN_ONLY | D.METADATA_ONLY, "qemuDomainSnapshotDelete")
        obj = self._obj(snap.domain)
        with obj.job("snapshot-delete", timeout=30.0):
            tree = _tree(obj)
            node = self._snap_node(obj, snap.name)
            victims: list[SnapshotNode] = []
            if flags & (D.CHILDREN | D.CHILDREN_ONLY):
                victims.extend(node.walk())
            if not flags & D.CHILDREN_ONLY:
                victims.append(node)
            if not flags & D.METADATA_ONLY:
                for victim in victims:
                    self._delete_internal(obj, victim)
            with obj.lock:
                current = tree.current
                if flags & (D.CHILDREN | D.CHILDREN_ONLY):
                    tree.remove_descendants(node)
                if not flags & D.CHILDREN_ONLY:
                    tree.remove(node)
                if current is not None and tree.get(current.name) is None:
                    tree.current = None
            for victim in victims:
                self._forget_snapshot_file(obj, victim.name)
            self._write_all_snapshots(obj)

    def _delete_internal(self, obj: DomainObject, node: SnapshotNode) -> None:
        doc: SnapshotDoc = node.definition
        if doc.is_external():
            raise _err(ErrorNumber.CONFIG_UNSUPPORTED, "deletion of external snapshots is not supported")
        if obj.is_active():
            disks = _internal_disks(obj.definition, name=doc.name)
            if disks:
                nodes = [n for _t, _p, n in disks]
                self._run_qmp_job(obj, "snapshot-delete", {"tag": doc.name, "devices": nodes})
        else:
            definition = obj.persistent_definition()
            for _t, path, _n in _internal_disks(definition, name=doc.name):
                _qemu_img("snapshot", "-d", doc.name, path)

    # -- revert ----------------------------------------------------------------------------------------

    def domain_revert_to_snapshot(self, snap: SnapshotRef, flags: int = 0) -> None:
        check_revert_flags(flags)
        _check_flags(flags, R.RUNNING | R.PAUSED | R.FORCE, "qemuDomainRevertToSnapshot")
        obj = self._obj(snap.domain)
        with obj.job("snapshot-revert", timeout=30.0):
            tree = _tree(obj)
            node = self._snap_node(obj, snap.name)
            doc: SnapshotDoc = node.definition
            online = doc.state in _RUNNING_STATES
            want_run = bool(flags & (R.RUNNING | R.PAUSED))
            if not obj.persistent and not online and not want_run:
                raise _err(ErrorNumber.OPERATION_INVALID,
                           "transient domain needs to request run or pause to revert to inactive snapshot")
            if doc.domain is None:
                raise _err(ErrorNumber.SNAPSHOT_REVERT_RISKY, f"snapshot '{doc.name}' lacks domain '{obj.name}' rollback info")
            if doc.is_external():
                raise _err(ErrorNumber.CONFIG_UNSUPPORTED, "revert to external snapshot not supported yet")
            live = doc.domain.copy()
            if doc.inactive_domain is not None:
                persistent = doc.inactive_domain.copy()
            elif online:
                persistent = doc.domain.copy()
            else:
                persistent = None
            if online:
                self._revert_online(obj, doc, live, persistent, flags)
            else:
                self._revert_offline(obj, doc, live, flags)
            with obj.lock:
                previous = tree.current
                tree.current = node
            self._write_snapshot(obj, node)
            if previous is not None and previous is not node:
                self._write_snapshot(obj, previous)

    def _revert_online(self, obj: DomainObject, doc: SnapshotDoc, live: Any, persistent: Any, flags: int) -> None:
        pause = not flags & R.RUNNING and (doc.state == "paused" or bool(flags & R.PAUSED))
        if not _internal_disks(live, name=doc.name):
            raise _err(ErrorNumber.OPERATION_INVALID, f"snapshot '{doc.name}' has no disk holding its memory state")
        if obj.is_active() and self._same_machine(obj.definition, live):
            # load in place: the running QEMU has the snapshot's devices, so its live
            # definition (aliases, node names, pty paths) stays; only the state is reloaded
            nodes = [n for _t, _p, n in _internal_disks(obj.definition, name=doc.name)]
            load_args = {"tag": doc.name, "vmstate": nodes[0], "devices": nodes}
            was_running = obj.state == DomainState.RUNNING
            try:
                with self._own_events(obj):
                    self._run_qmp_job(obj, "snapshot-load", load_args)
                    status = self._qmp(obj, "query-status")
                    if pause and status.get("running"):
                        self._qmp(obj, "stop")
                    elif not pause and not status.get("running"):
                        self._qmp(obj, "cont")
            except VirtError as exc:
                self._revert_failed(obj, doc, exc)
            with obj.lock:
                if obj.persistent:
                    obj.new_definition = persistent
                if pause:
                    obj.set_state(DomainState.PAUSED, DomainPausedReason.FROM_SNAPSHOT)
                else:
                    obj.set_state(DomainState.RUNNING, DomainRunningReason.FROM_SNAPSHOT)
            self._save_status(obj)
            if obj.persistent:
                self._save_config(obj)
            if pause and was_running:
                self._emit_lifecycle(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.FROM_SNAPSHOT)
            elif not pause and not was_running:
                self._emit_lifecycle(obj, DomainEventType.RESUMED, DomainEventResumedDetail.FROM_SNAPSHOT)
            return
        # a new QEMU for the snapshot's machine
        if obj.is_active():
            self._kill(obj, self._process(obj), DomainShutoffReason.FROM_SNAPSHOT)
        with obj.lock:
            obj.definition = live
            obj.new_definition = None

        def load(proc: Any) -> None:
            # node names are those of the new QEMU, numbered when it was prepared
            nodes = [n for _t, _p, n in _internal_disks(obj.definition, name=doc.name)]
            self._run_qmp_job(obj, "snapshot-load", {"tag": doc.name, "vmstate": nodes[0], "devices": nodes})

        try:
            self._start(obj, paused=pause, reason=DomainRunningReason.FROM_SNAPSHOT,
                        event_detail=DomainEventStartedDetail.FROM_SNAPSHOT, before_cont=load)
        finally:
            with obj.lock:
                if obj.persistent:
                    if obj.is_active():
                        obj.new_definition = persistent
                    elif persistent is not None:
                        obj.definition = persistent
            if obj.persistent:
                self._save_config(obj)
        if obj.is_active():
            self._save_status(obj)
        if pause:
            with obj.lock:
                obj.set_state(DomainState.PAUSED, DomainPausedReason.FROM_SNAPSHOT)

    def _revert_failed(self, obj: DomainObject, doc: SnapshotDoc, exc: VirtError) -> None:
        """QEMU refused the load and left the guest paused (restore-vm): say so and book it."""
        with obj.lock:
            was_paused = obj.state == DomainState.PAUSED
            obj.set_state(DomainState.PAUSED, DomainPausedReason.UNKNOWN)
        self._save_status(obj)
        if not was_paused:
            self._emit_lifecycle(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.API_ERROR)
        raise _err(
            ErrorNumber.OPERATION_FAILED,
            f"revert to snapshot '{doc.name}' failed, the domain is left paused: {exc.message}",
        ) from None

    @staticmethod
    def _same_machine(current: Any, wanted: Any) -> bool:
        """Whether the running QEMU can load the snapshot in place (same devices and machine)."""
        def shape(definition: Any) -> str:
            clone = xmlcore.parse(xmlcore.format(definition.element))
            for el in list(clone.iter("alias")) + list(clone.iter("boot")):
                el.getparent().remove(el)
            for el in clone.iter("source"):
                el.attrib.pop("index", None)
            for chr_el in clone.iter("serial", "console"):
                chr_el.attrib.pop("tty", None)
            devices = clone.find("devices")
            parts = [clone.findtext("memory") or "", clone.findtext("vcpu") or "",
                     (clone.find("os/type").get("machine") if clone.find("os/type") is not None else "") or ""]
            if devices is not None:
                parts += [xmlcore.format(d) for d in devices if isinstance(d.tag, str)
                          and d.tag in ("disk", "interface", "controller", "video", "memballoon")]
            return "\n".join(parts)

        return shape(current) == shape(wanted)

    def _revert_offline(self, obj: DomainObject, doc: SnapshotDoc, live: Any, flags: int) -> None:
        if obj.is_active():
            self._kill(obj, self._process(obj), DomainShutoffReason.FROM_SNAPSHOT)
        for _t, path, _n in _internal_disks(live, name=doc.name):
            _qemu_img("snapshot", "-a", doc.name, path)
        with obj.lock:
            obj.definition = live
            obj.new_definition = None
        if obj.persistent:
            self._save_config(obj)
        if flags & (R.RUNNING | R.PAUSED):
            self._start(obj, paused=bool(flags & R.PAUSED), reason=DomainRunningReason.FROM_SNAPSHOT,
                        event_detail=DomainEventStartedDetail.FROM_SNAPSHOT)
            if flags & R.PAUSED:
                with obj.lock:
                    obj.set_state(DomainState.PAUSED, DomainPausedReason.FROM_SNAPSHOT)

