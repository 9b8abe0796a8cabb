"""Asynchronous jobs seen from outside: their progress (virDomainGetJobInfo) and abort."""

from __future__ import annotations

import time

from ...driver.refs import DomainRef
from ...enums import DomainJobType
from ...errors import ErrorNumber
from .access import QemuDriverBase
from .errors import qemu_error

__all__ = ["JobsMixin"]


class JobsMixin(QemuDriverBase):
    """Job info and abort for save and snapshot jobs."""

    def domain_get_job_info(self, dom: DomainRef) -> tuple[int, ...]:
        """virDomainGetJobInfo: (type, elapsed ms, remaining ms, data total/processed/remaining,
        mem total/processed/remaining, file total/processed/remaining)."""
        obj = self._obj(dom)
        job = obj.driver_data.get("async_job")
        if job is None:
            return (int(DomainJobType.NONE),) + (0,) * 11
        elapsed = int((time.monotonic() - job["started"]) * 1000)
        ram = (obj.driver_data.get("job_stats") or {}).get("ram", {})
        total, done, left = ram.get("total", 0), ram.get("transferred", 0), ram.get("remaining", 0)
        return (int(DomainJobType.UNBOUNDED), elapsed, 0, total, done, left, total, done, left, 0, 0, 0)

    def domain_abort_job(self, dom: DomainRef, flags: int = 0) -> None:
        """virDomainAbortJob: cancel the running async job (no job slot needed: it is held)."""
        obj = self._obj(dom)
        job = obj.driver_data.get("async_job")
        if job is None or not obj.is_active():
            raise qemu_error(ErrorNumber.OPERATION_INVALID, "no job is active on the domain")
        obj.driver_data["abort_requested"] = True
        if job["type"] in ("save", "migration"):
            self._qmp(obj, "migrate_cancel")
        elif job["type"] == "snapshot":
            job_id = job.get("qmp_job")
            if job_id:
                self._qmp(obj, "job-cancel", {"id": job_id})
