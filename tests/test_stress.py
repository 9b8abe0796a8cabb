"""Many threads hammer shared domains with random calls; afterwards the books must balance.

Eight threads run random define / start / destroy / snapshot / lookup / list calls on a small
set of shared domains (plus a few domains each thread defines for itself) for a bounded number
of iterations. Then, with every thread joined under a timeout (a deadlock fails, it does not
hang), the test checks:

* no lost domain: every name ever defined is found by lookup and by list, and nothing else is;
* states consistent: active <=> id != -1, active <=> RUNNING (nothing here pauses), ids unique;
* the threads' own tally agrees: successful starts - successful destroys == 1 if active else 0,
  and every successful snapshot exists;
* events: per domain, STARTED and STOPPED alternate, starting with STARTED, in emission order;
* every job slot is free and no call timed out waiting for one.

It runs twice: against the public API (``pyvirt.open('test:///default')``, the real test
driver) and against the bare object layer (DomainList + DomainObject + jobs + EventBus) with a
miniature driver defined below, which pins down the core's own guarantees independently of
any driver.
"""

from __future__ import annotations

import faulthandler
import itertools
import random
import sys
import threading
import time
import uuid as uuidlib
from collections import Counter, defaultdict
from typing import Any

import pytest

from pyvirt.enums import DomainEventType, DomainState
from pyvirt.errors import ErrorNumber, VirtError

THREADS = 8
ITERATIONS = 3000  # per thread
TIME_BUDGET = 3.0  # seconds of hammering at most, per backend
JOIN_TIMEOUT = 30.0
SHARED = 6

#: failures a racing caller may legitimately get (start of a running domain, destroy of a
#: stopped one); anything else, a job timeout above all, fails the test
EXPECTED_CODES = {ErrorNumber.OPERATION_INVALID, ErrorNumber.INTERNAL_ERROR}


def domain_xml(name: str, uuid: str, memory: int) -> str:
    return (
        f"<domain type='test'><name>{name}</name><uuid>{uuid}</uuid>"
        f"<memory unit='KiB'>{memory}</memory><vcpu>1</vcpu>"
        f"<os><type>hvm</type></os></domain>"
    )


# -- backends ----------------------------------------------------------------------------------


class ApiBackend:
    """The public API over the real test driver (test:///default)."""

    def __init__(self) -> None:
        import pyvirt

        if not hasattr(pyvirt, "open"):
            pytest.skip("pyvirt.open is not available yet")
        self.conn = pyvirt.open("test:///default")
        self.events: list[tuple[str, int]] = []
        self._events_lock = threading.Lock()
        self._cb = self.conn.register_event(self._on_event)
        self._snap_names = itertools.count()

    def _on_event(self, ev: Any) -> None:
        with self._events_lock:
            self.events.append((ev.domain.name, int(ev.event)))

    def define(self, name: str, uuid: str, memory: int) -> None:
        self.conn.define_domain(domain_xml(name, uuid, memory))

    def start(self, name: str) -> None:
        self.conn.lookup_domain(name).start()

    def destroy(self, name: str) -> None:
        self.conn.lookup_domain(name).destroy()

    def snapshot(self, name: str) -> None:
        # explicit unique names: libvirt's default name is the time in seconds, which two
        # snapshots taken within one second share (and the second fails, as in libvirt)
        self.conn.lookup_domain(name).create_snapshot(name=f"s{next(self._snap_names)}")

    def lookup(self, name: str) -> bool:
        return self.conn.lookup_domain(name).name == name

    def names(self) -> set[str]:
        return {d.name for d in self.conn.list_domains()}

    def facts(self, name: str) -> tuple[bool, int, DomainState, int]:
        dom = self.conn.lookup_domain(name)
        state, _reason = dom.state()
        return dom.is_active(), dom.id, DomainState(state), len(dom.snapshots())

    def _object(self, name: str) -> Any:
        state = getattr(self.conn.driver, "_state", None)
        assert state is not None, "test driver internals moved: update the job-slot check"
        return state.domains.by_name(name)

    def job_free(self, name: str) -> bool:
        return not self._object(name).job_active

    def flush(self) -> None:
        state = getattr(self.conn.driver, "_state", None)
        assert state is not None, "test driver internals moved: update the event flush"
        assert state.events.flush(JOIN_TIMEOUT)

    def cleanup(self, names: set[str]) -> None:
        try:
            self.conn.deregister_event(self._cb)
            for name in names:
                dom = self.conn.lookup_domain(name)
                if dom.is_active():
                    dom.destroy()
                dom.undefine(snapshots_metadata=True)
        finally:
            self.conn.close()


class StandInDef:
    """What the object layer needs of a DomainDef (name, uuid, copy): keeps this backend
    independent of the XML layer, which the API backend exercises for real."""

    def __init__(self, name: str, uuid: str, memory: int) -> None:
        self.name, self.uuid, self.memory = name, uuid, memory

    def copy(self) -> StandInDef:
        return StandInDef(self.name, self.uuid, self.memory)


class ObjectsBackend:
    """A miniature driver on the bare object layer, shaped like libvirt's drivers."""

    def __init__(self) -> None:
        from pyvirt.events import DomainLifecycleEvent, EventBus
        from pyvirt.objects import DomainList, DomainObject

        self._DomainObject = DomainObject
        self._Event = DomainLifecycleEvent
        self.domains = DomainList(first_id=1)
        self.bus = EventBus()
        self.driver_lock = threading.Lock()  # serialises name/uuid checks on define
        self.events: list[tuple[str, int]] = []
        self.bus.register(lambda ev: self.events.append((ev.domain.name, int(ev.event))))

    def _get(self, name: str) -> Any:
        obj = self.domains.by_name(name)
        if obj is None:
            raise VirtError(code=ErrorNumber.NO_DOMAIN, detail=name)
        return obj

    def define(self, name: str, uuid: str, memory: int) -> None:
        definition = StandInDef(name, uuid, memory)
        with self.driver_lock:
            obj = self.domains.by_uuid(uuid)
            if obj is None:
                obj = self._DomainObject(definition, persistent=True)
                obj.driver_data["snapshots"] = []
                self.domains.add(obj)
                return
        with obj.job("modify", timeout=JOIN_TIMEOUT), obj.lock:
            if obj.is_active():
                obj.new_definition = definition
            else:
                obj.definition = definition

    def start(self, name: str) -> None:
        obj = self._get(name)
        with obj.job("start", timeout=JOIN_TIMEOUT):
            if obj.is_active():
                raise VirtError(
                    code=ErrorNumber.OPERATION_INVALID, detail="domain is already running"
                )
            time.sleep(0)  # "talk to the hypervisor" without the object lock
            with obj.lock:
                obj.id = self.domains.allocate_id()
                obj.prepare_live_change()
                obj.set_state(DomainState.RUNNING, 1)
                self.bus.emit(self._Event(obj.ref(), DomainEventType.STARTED, 0))

    def destroy(self, name: str) -> None:
        obj = self._get(name)
        with obj.job("destroy", timeout=JOIN_TIMEOUT):
            if not obj.is_active():
                raise VirtError(code=ErrorNumber.OPERATION_INVALID, detail="domain is not running")
            with obj.lock:
                obj.finish_stop()
                obj.set_state(DomainState.SHUTOFF, 2)
                self.bus.emit(self._Event(obj.ref(), DomainEventType.STOPPED, 1))

    def snapshot(self, name: str) -> None:
        obj = self._get(name)
        with obj.job("snapshot", timeout=JOIN_TIMEOUT):
            copy = obj.definition.copy()
            time.sleep(0)
            with obj.lock:
                obj.driver_data["snapshots"].append(copy)

    def lookup(self, name: str) -> bool:
        return self._get(name).name == name

    def names(self) -> set[str]:
        return {o.name for o in self.domains.all()}

    def facts(self, name: str) -> tuple[bool, int, DomainState, int]:
        obj = self._get(name)
        with obj.lock:
            return obj.is_active(), obj.id, obj.state, len(obj.driver_data["snapshots"])

    def job_free(self, name: str) -> bool:
        return not self._get(name).job_active

    def flush(self) -> None:
        assert self.bus.flush(JOIN_TIMEOUT)

    def cleanup(self, names: set[str]) -> None:
        self.bus.close()


# -- the hammering -----------------------------------------------------------------------------


class Tally:
    """What the threads saw succeed, per domain (merged after the run)."""

    def __init__(self) -> None:
        self.starts: Counter[str] = Counter()
        self.destroys: Counter[str] = Counter()
        self.snapshots: Counter[str] = Counter()
        self.expected_errors = 0
        self.unexpected: list[str] = []
        self.ops = 0


def hammer(
    backend: Any,
    seed: int,
    prefix: str,
    shared: list[tuple[str, str]],
    tally: Tally,
    own: list[str],
    deadline: float,
) -> None:
    rnd = random.Random(seed)
    mine: list[tuple[str, str]] = []
    for i in range(ITERATIONS):
        if time.monotonic() > deadline:
            break
        pool = shared + mine
        name, uuid = rnd.choice(pool)
        op = rnd.choices(
            ("lookup", "list", "start", "destroy", "snapshot", "define", "define_new"),
            weights=(25, 10, 20, 20, 8, 14, 3),
        )[0]
        try:
            if op == "lookup":
                if not backend.lookup(name):
                    tally.unexpected.append(f"lookup({name}) returned another domain")
            elif op == "list":
                missing = {n for n, _ in pool} - backend.names()
                if missing:
                    tally.unexpected.append(f"list() lost {sorted(missing)}")
            elif op == "start":
                backend.start(name)
                tally.starts[name] += 1
            elif op == "destroy":
                backend.destroy(name)
                tally.destroys[name] += 1
            elif op == "snapshot":
                backend.snapshot(name)
                tally.snapshots[name] += 1
            elif op == "define":
                backend.define(name, uuid, rnd.randrange(1024, 65536, 1024))
            else:
                new = (f"{prefix}-t{seed}-{i}", str(uuidlib.uuid4()))
                backend.define(new[0], new[1], 2048)
                mine.append(new)
                own.append(new[0])
        except VirtError as exc:
            if exc.code in EXPECTED_CODES:
                tally.expected_errors += 1
            else:
                tally.unexpected.append(f"{op}({name}): {exc!r}")
        except Exception as exc:  # a Python traceback escaping is a bug too
            tally.unexpected.append(f"{op}({name}): {exc!r}")
        tally.ops += 1


@pytest.fixture(params=["api", "objects"])
def backend(request: pytest.FixtureRequest) -> Any:
    return ApiBackend() if request.param == "api" else ObjectsBackend()


def test_random_concurrent_calls_keep_invariants(backend: Any) -> None:
    prefix = f"stress{uuidlib.uuid4().hex[:6]}"
    shared = [(f"{prefix}-{i}", str(uuidlib.uuid4())) for i in range(SHARED)]
    defined: set[str] = set()
    # Switch threads every 20 µs instead of every 5 ms, so calls interleave inside their
    # critical sections rather than running back to back.
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(2e-5)
    try:
        for name, uuid in shared:
            backend.define(name, uuid, 4096)
            defined.add(name)
        tallies = [Tally() for _ in range(THREADS)]
        owns: list[list[str]] = [[] for _ in range(THREADS)]
        deadline = time.monotonic() + TIME_BUDGET
        threads = [
            threading.Thread(
                target=hammer,
                args=(backend, k, prefix, shared, tallies[k], owns[k], deadline),
                daemon=True,
            )
            for k in range(THREADS)
        ]
        for t in threads:
            t.start()
        end = time.monotonic() + JOIN_TIMEOUT
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
        if any(t.is_alive() for t in threads):
            faulthandler.dump_traceback(file=sys.stderr)
            pytest.fail("threads still running after the join timeout: deadlock")
        for own in owns:
            defined.update(own)

        unexpected = [msg for t in tallies for msg in t.unexpected]
        assert unexpected == []
        total_ops = sum(t.ops for t in tallies)
        assert total_ops >= THREADS * 20, "too few operations ran to mean anything"
        starts = sum((t.starts for t in tallies), Counter())
        destroys = sum((t.destroys for t in tallies), Counter())
        snapshots = sum((t.snapshots for t in tallies), Counter())
        assert sum(starts.values()) > 0 and sum(destroys.values()) > 0

        # no lost domain, nothing extra
        listed = {n for n in backend.names() if n.startswith(prefix + "-")}
        assert listed == defined
        for name in defined:
            assert backend.lookup(name)

        # states consistent, tallies balance, every job slot free
        active_ids = []
        for name in sorted(defined):
            active, dom_id, state, n_snapshots = backend.facts(name)
            assert active == (dom_id != -1), name
            assert active == (state == DomainState.RUNNING), (name, state)
            assert starts[name] - destroys[name] == (1 if active else 0), name
            assert n_snapshots == snapshots[name], name
            assert backend.job_free(name), name
            if active:
                active_ids.append(dom_id)
        assert len(active_ids) == len(set(active_ids))

        # events: delivered in order, STARTED/STOPPED alternating per domain
        backend.flush()
        per_domain: dict[str, list[int]] = defaultdict(list)
        for name, kind in list(backend.events):
            if name in defined and kind in (DomainEventType.STARTED, DomainEventType.STOPPED):
                per_domain[name].append(kind)
        for name in defined:
            kinds = per_domain[name]
            assert len(kinds) == starts[name] + destroys[name], name
            expected = [DomainEventType.STARTED, DomainEventType.STOPPED] * len(kinds)
            assert kinds == expected[: len(kinds)], name
    finally:
        sys.setswitchinterval(old_interval)
        backend.cleanup(defined)
