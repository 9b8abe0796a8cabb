"""State on disk: atomic file writes and the status file of a running domain.

Why atomic: the managing process may die at any instant, and the next one must find either the
old file or the new one, never half of one. Every write goes to a temporary file in the same
directory, is fsynced, renamed over the target and the directory fsynced, so the rename itself
is durable.

The status file (``run/qemu/<name>.xml``) follows libvirt's ``<domstatus>``: run state and
reason, QEMU's pid (with its start time, so a recycled pid is never mistaken for our QEMU), the
monitor socket, and the live definition as ``<domain id=...>``. The persistent configuration is
not in it; it comes from ``etc/qemu/<name>.xml`` as in libvirt.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..._core import xmlcore
from ...errors import ErrorDomain, ErrorNumber, virt_error

__all__ = ["atomic_write", "remove_file", "StatusRecord", "write_status", "read_status", "process_start_time"]


def atomic_write(path: str | os.PathLike[str], data: str | bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file whole."""
    target = Path(path)
    payload = data.encode() if isinstance(data, str) else data
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.rename(tmp, target)
    except OSError as exc:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise virt_error(
            ErrorNumber.SYSTEM_ERROR, f"cannot write '{target}': {exc.strerror or exc}", domain=ErrorDomain.QEMU
        ) from None
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_file(path: str | os.PathLike[str]) -> None:
    """Unlink if present (and make the removal durable)."""
    target = Path(path)
    try:
        target.unlink()
    except FileNotFoundError:
        return
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def process_start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (clock ticks since boot): identifies a process beyond its pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


#: libvirt's words for state reasons (virDomain*ReasonTypeToString), where they are not simply
#: the enum name in lower case with spaces
_REASON_WORDS = {
    "POSTCOPY": "post-copy",
    "POSTCOPY_FAILED": "post-copy failed",
    "SHUTTING_DOWN": "shutdown",
    "IOERROR": "ioerror",
}


def _reason_enum(state: str) -> Any:
    from ...enums import (
        DomainBlockedReason,
        DomainCrashedReason,
        DomainNostateReason,
        DomainPausedReason,
        DomainPMSuspendedReason,
        DomainRunningReason,
        DomainShutdownReason,
        DomainShutoffReason,
    )

    return {
        "nostate": DomainNostateReason, "running": DomainRunningReason, "blocked": DomainBlockedReason,
        "paused": DomainPausedReason, "shutdown": DomainShutdownReason, "shutoff": DomainShutoffReason,
        "crashed": DomainCrashedReason, "pmsuspended": DomainPMSuspendedReason,
    }.get(state)


def reason_to_word(state: str, reason: int) -> str:
    """The reason as libvirt writes it in ``<domstatus reason=...>`` ("booted", "from snapshot")."""
    enum = _reason_enum(state)
    try:
        name = enum(reason).name if enum is not None else None
    except ValueError:
        name = None
    if name is None:
        return str(reason)
    if state == "paused" and name == "CRASHED":
        return "panicked"
    return _REASON_WORDS.get(name, name.lower().replace("_", " "))


def word_to_reason(state: str, word: str) -> int:
    if word.isdigit():
        return int(word)
    enum = _reason_enum(state)
    if enum is not None:
        for member in enum:
            if reason_to_word(state, int(member)) == word:
                return int(member)
    return 0


@dataclass
class StatusRecord:
    """What a restart needs to find a running domain again."""

    state: str  # "running", "paused", ...
    reason: int
    pid: int
    monitor: str
    domain_xml: str  # the live definition, with its id
    start_time: int | None = None
    extra: dict[str, str] = field(default_factory=dict)  # small driver facts (e.g. shutdown requested)


def write_status(path: str | os.PathLike[str], record: StatusRecord) -> None:
    root = etree.Element("domstatus", state=record.state, reason=reason_to_word(record.state, record.reason),
                         pid=str(record.pid))
    if record.start_time is not None:
        root.set("starttime", str(record.start_time))
    etree.SubElement(root, "monitor", path=record.monitor, type="unix")
    for key, value in sorted(record.extra.items()):
        etree.SubElement(root, "pyvirt", name=key, value=value)
    root.append(xmlcore.parse(record.domain_xml))
    atomic_write(path, xmlcore.format(root))


def read_status(path: str | os.PathLike[str]) -> StatusRecord:
    """Parse a status file; a damaged one is an error the caller reports and skips."""
    try:
        root = xmlcore.parse(Path(path).read_bytes())
        domain = root.find("domain")
        monitor = root.find("monitor")
        if root.tag != "domstatus" or domain is None or monitor is None:
            raise ValueError("not a <domstatus> document")
        start = root.get("starttime")
        return StatusRecord(
            state=root.get("state", "running"),
            reason=word_to_reason(root.get("state", "running"), root.get("reason", "0")),
            pid=int(root.get("pid", "0")),
            monitor=monitor.get("path", ""),
            domain_xml=xmlcore.format(domain),
            start_time=int(start) if start else None,
            extra={el.get("name", ""): el.get("value", "") for el in root.findall("pyvirt")},
        )
    except (OSError, ValueError, xmlcore.ParseFailure) as exc:
        raise virt_error(
            ErrorNumber.INTERNAL_ERROR, f"invalid status file '{path}': {exc}", domain=ErrorDomain.QEMU
        ) from None
