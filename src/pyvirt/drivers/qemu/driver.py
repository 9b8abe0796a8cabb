"""``QemuDriver``: domains as real QEMU processes, kept in step over QMP and on disk.

The driver is one class assembled from parts with one job each, so a reader finds a capability
by its module name:

=================  ==========================================================================
``access``         shared state, domain lookup by ref, jobs, status/config persistence
``connection``     open/close, host facts, capabilities, domain event callbacks
``reconnect``      driver start: configs, status files, QEMUs still running, autostart
``domains``        lookup, listing, define, undefine, rename
``properties``     XML, info, state, vCPUs, memory, autostart, metadata (live/config)
``lifecycle``      start, destroy, ACPI shutdown, reboot, reset, suspend, resume
``saverestore``    save, restore and managed save (format in ``saveimage``)
``jobs``           job info and abort of save/snapshot jobs
``passthrough``    qemu-monitor-command
``hotplug``        live/config attach and detach of disks and interfaces
``snapshots``      internal and external snapshots, metadata on disk
=================  ==========================================================================

QEMU's own events and its exit are handled in ``qmpevents`` (on the monitor and pidfd threads,
with the shared ``state``). State lives per driver root (``qemu:///embed?root=DIR``, session or
system) in a :class:`~.state.QemuState` that every connection of this process to the same root
shares, as one libvirt daemon would; the last connection to close releases it, QEMUs keep
running, and the next open finds them again from the status files.
"""

from __future__ import annotations

from .connection import ConnectionMixin
from .definitions import parse_definition
from .domains import DomainsMixin
from .errors import check_flags
from .hotplug import HotplugMixin
from .jobs import JobsMixin
from .lifecycle import LifecycleMixin
from .passthrough import PassthroughMixin
from .properties import PropertiesMixin
from .reconnect import ReconnectMixin
from .saverestore import SaveRestoreMixin
from .snapshots import QemuSnapshots
from .state import QemuState

__all__ = ["QemuDriver", "QemuState", "parse_definition", "check_flags"]


class QemuDriver(
    QemuSnapshots,
    ConnectionMixin,
    ReconnectMixin,
    DomainsMixin,
    PropertiesMixin,
    LifecycleMixin,
    SaveRestoreMixin,
    JobsMixin,
    PassthroughMixin,
    HotplugMixin,
):
    """The QEMU driver: real guests under qemu-system-x86_64, managed over QMP."""
