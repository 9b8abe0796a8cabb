"""libvirt's qemu-monitor-command: raw QMP or HMP to the guest's QEMU, the reply as text."""

from __future__ import annotations

from ...driver.refs import DomainRef
from .access import QemuDriverBase
from .errors import check_flags
from .flags import QEMU_MONITOR_COMMAND_HMP

__all__ = ["PassthroughMixin"]


class PassthroughMixin(QemuDriverBase):
    """virDomainQemuMonitorCommand."""

    def domain_qemu_monitor_command(self, dom: DomainRef, cmd: str, flags: int = 0) -> str:
        """virDomainQemuMonitorCommand: raw QMP (or HMP with flag 1); the reply as text."""
        check_flags(flags, QEMU_MONITOR_COMMAND_HMP, "qemuDomainQemuMonitorCommand")
        with self._job(dom, "query") as obj:
            mon = self._monitor(obj)
            if flags & QEMU_MONITOR_COMMAND_HMP:
                return mon.human_passthrough(cmd, timeout=self.monitor_timeout)
            return mon.command_passthrough(cmd, timeout=self.monitor_timeout)
