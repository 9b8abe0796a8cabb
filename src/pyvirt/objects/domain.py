"""One domain as a driver keeps it: definitions, run state, its lock and its job slot.

This is libvirt's ``virDomainObj``. The object holds two definitions: ``definition`` is what
runs now (``vm->def``) and ``new_definition`` the persistent configuration waiting for the next
start (``vm->newDef``), present only while a persistent domain runs.

Two levels of mutual exclusion, as in libvirt:

* ``obj.lock`` -- a short mutex around reading or updating fields. Never hold it while waiting
  for anything (a job, a hypervisor, a driver-wide lock).
* ``obj.job(name)`` -- one *modifying* operation at a time. A second caller waits, queued in
  arrival order, for up to ``timeout`` seconds (libvirt's 30 s by default) and then fails with
  libvirt's VIR_ERR_OPERATION_TIMEOUT. The job body runs without ``obj.lock``; it takes the lock
  only for its short field updates, so queries keep working while a slow job (a save, a
  snapshot of a running guest) is in progress.

Queries (``info``, ``xml``, lookups) take neither the job nor, for a single field read, the lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._core.sync import JobSlot, Mutex
from ..enums import DomainShutoffReason, DomainState
from ..errors import ErrorDomain, ErrorNumber, virt_error

if TYPE_CHECKING:
    from types import TracebackType

    from ..conf import DomainDef
    from ..driver.refs import DomainRef
    from .domainlist import DomainList

__all__ = ["DomainObject", "DEFAULT_JOB_TIMEOUT"]

#: libvirt's VIR_JOB_WAIT_TIME: how long a call waits for another job to finish
DEFAULT_JOB_TIMEOUT = 30.0


class _Job:
    """Context manager for one job on one domain (a class rather than a generator: cheaper)."""

    __slots__ = ("_obj", "_name", "_timeout")

    def __init__(self, obj: DomainObject, name: str, timeout: float) -> None:
        self._obj = obj
        self._name = name
        self._timeout = timeout

    def __enter__(self) -> DomainObject:
        obj = self._obj
        slot = obj._job_slot
        if not slot.begin(self._name, self._timeout):
            raise obj._job_timeout_error()
        return obj

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._obj._job_slot.end()
        return False


class DomainObject:
    """A domain held by a driver (libvirt's ``virDomainObj``).

    A new object is inactive (``id == -1``, shut off). ``snapshots`` is left ``None`` for the
    driver's snapshot module to fill; ``driver_data`` is free space for the driver (libvirt's
    ``privateData``).
    """

    def __init__(
        self,
        definition: DomainDef,
        *,
        persistent: bool = False,
        state: DomainState = DomainState.SHUTOFF,
        reason: int = DomainShutoffReason.UNKNOWN,
    ) -> None:
        #: the definition in effect now (libvirt's vm->def)
        self.definition: DomainDef = definition
        #: the persistent configuration for the next start, while a persistent domain runs
        self.new_definition: DomainDef | None = None
        self.persistent = persistent
        self.autostart = False
        self.state: DomainState = DomainState(state)
        self.reason = int(reason)
        self.has_managed_save = False
        #: the domain's snapshot tree, set up by the driver's snapshot support
        self.snapshots: Any = None
        self.driver_data: dict[str, Any] = {}
        #: per-object mutex: short critical sections only
        self.lock = Mutex()
        self._job_slot = JobSlot()
        self._id = -1
        #: the list this object is indexed in (kept up to date by DomainList), for id changes
        self._list: DomainList | None = None
        #: (uuid key, name) under which that list indexes this object
        self._list_keys: tuple[str, str] = ("", "")

    # -- identity ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def uuid(self) -> str:
        return self.definition.uuid

    @property
    def id(self) -> int:
        """The running domain's id, -1 when inactive. Setting it re-indexes the domain list."""
        return self._id

    @id.setter
    def id(self, value: int) -> None:
        old = self._id
        if value == old:
            return
        owner = self._list
        if owner is None:
            self._id = value
        else:
            owner._change_id(self, old, value)

    def ref(self) -> DomainRef:
        """The identity a driver hands out for this domain (name, uuid, id)."""
        from ..driver.refs import DomainRef

        return DomainRef(self.definition.name, self.definition.uuid, self._id)

    # -- state ------------------------------------------------------------------------------

    def is_active(self) -> bool:
        """libvirt's virDomainObjIsActive: the domain has an id (it runs, paused or not)."""
        return self._id != -1

    def set_state(self, state: DomainState, reason: int = 0) -> None:
        self.state = DomainState(state)
        self.reason = int(reason)

    def get_state(self) -> tuple[DomainState, int]:
        return self.state, self.reason

    def persistent_definition(self) -> DomainDef:
        """The configuration ``xml(inactive=True)`` shows: ``new_definition`` if any, else ``definition``."""
        return self.new_definition if self.new_definition is not None else self.definition

    def prepare_live_change(self) -> None:
        """Split the live definition from the persistent one (libvirt's virDomainObjSetDefTransient).

        Called when a persistent domain starts: from then on ``definition`` may change live
        (memory, vcpus, hotplug) while ``new_definition`` keeps the configuration for the next
        boot. As in libvirt 9.0, this does not look at ``id``, so a driver may call it just
        before or just after assigning the id; a transient domain, or one already split, is
        left alone.
        """
        if self.persistent and self.new_definition is None:
            self.new_definition = self.definition.copy()

    def finish_stop(self) -> None:
        """Forget the live definition when the domain stops (libvirt's virDomainObjRemoveTransientDef).

        The persistent configuration becomes the definition again and the id is released.
        The caller sets the state and reason, and removes a transient domain from its list.
        """
        if self.new_definition is not None:
            self.definition = self.new_definition
            self.new_definition = None
        self.id = -1

    # -- jobs -------------------------------------------------------------------------------

    def job(self, name: str, timeout: float = DEFAULT_JOB_TIMEOUT) -> _Job:
        """Context manager running one modifying job named ``name`` on this domain.

        Waits up to ``timeout`` seconds (negative: forever) for the current job to end, then
        raises libvirt's VIR_ERR_OPERATION_TIMEOUT, worded as libvirt 9.0 words it
        ("Timed out during operation: cannot acquire state change lock (held by
        monitor=remoteDispatchDomainCreate)"). libvirt names the holder by the RPC dispatch
        function of the thread that owns the job; pyvirt has no such thread names, so it names
        the holder by its job name instead: "... (held by job=start)". Tools that match the
        message up to "cannot acquire state change lock" see the same text.
        """
        return _Job(self, name, timeout)

    @property
    def job_slot(self) -> JobSlot:
        """The raw job slot, for jobs that do not fit a ``with`` block (begin/end, abort)."""
        return self._job_slot

    @property
    def job_active(self) -> bool:
        return self._job_slot.active

    @property
    def job_name(self) -> str | None:
        return self._job_slot.name

    def _job_timeout_error(self) -> Exception:
        holder = self._job_slot.name
        detail = "cannot acquire state change lock"
        if holder is not None:
            detail += f" (held by job={holder})"
        # libvirt 9.0 raises this from the shared job code (virdomainjob.c), whose error
        # domain is VIR_FROM_NONE.
        return virt_error(ErrorNumber.OPERATION_TIMEOUT, detail, domain=ErrorDomain.NONE)

    def __repr__(self) -> str:
        return f"<DomainObject {self.definition.name!r} id={self._id} state={self.state.name}>"
