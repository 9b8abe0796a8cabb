"""Cost of the core's locks and jobs on the uncontended path, in nanoseconds per operation.

Each figure is the best of several rounds of a tight loop (``timeit``), minus nothing: it
includes the Python call overhead a driver pays too. ``threading.Lock`` / ``threading.RLock``
are printed as references, and the ratio column is cost / ``threading.Lock`` (acquire+release
pair through the same calling style).

Run: ``python3 benchmarks/bench_sync.py`` (optionally ``--number N``).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import timeit
import uuid
from collections.abc import Callable
from typing import Any

from pyvirt._core.sync import JobSlot, Mutex, RWLock


class _Def:
    """Stand-in for DomainDef: the object layer only reads name and uuid here."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.uuid = str(uuid.uuid4())


def best_ns(stmt: str, setup: str, env: dict[str, object], number: int, repeat: int = 7) -> float:
    timer = timeit.Timer(stmt, setup, globals=env)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=200_000, help="iterations per round")
    args = parser.parse_args()
    n = args.number

    from pyvirt.objects import DomainList, DomainObject

    obj = DomainObject(_Def("bench"))  # type: ignore[arg-type]
    dlist = DomainList()
    dlist.add(obj)
    for i in range(999):  # a list of 1000 domains, as a driver might hold
        dlist.add(DomainObject(_Def(f"d{i}")))  # type: ignore[arg-type]

    env: dict[str, object] = {
        "tlock": threading.Lock(),
        "rlock": threading.RLock(),
        "mutex": Mutex(),
        "rw": RWLock(),
        "slot": JobSlot(),
        "obj": obj,
        "dlist": dlist,
        "name": "bench",
        "uuid": obj.uuid,
    }
    cases = [
        ("threading.Lock  acquire()+release()", "tlock.acquire(); tlock.release()"),
        ("threading.Lock  with", "with tlock: pass"),
        ("threading.RLock with", "with rlock: pass"),
        ("Mutex           acquire()+release()", "mutex.acquire(); mutex.release()"),
        ("Mutex           with", "with mutex: pass"),
        ("RWLock          with read()", "with rw.read(): pass"),
        ("RWLock          acquire_read()+release_read()", "rw.acquire_read(); rw.release_read()"),
        ("RWLock          with write()", "with rw.write(): pass"),
        ("JobSlot         begin()+end()", "slot.begin('start', 30.0); slot.end()"),
        ("DomainObject    with obj.job('start')", "with obj.job('start'): pass"),
        ("DomainObject    with obj.lock", "with obj.lock: pass"),
        ("DomainList      by_name (1000 domains)", "dlist.by_name(name)"),
        ("DomainList      by_uuid (1000 domains)", "dlist.by_uuid(uuid)"),
        ("dict.get        (no lock, reference)", "dlist._by_name.get(name)"),
    ]
    reference = best_ns(cases[0][1], "", env, n)
    print(f"Python {sys.version.split()[0]}, {n} iterations x 7 rounds, best round, ns/op")
    print(f"{'operation':48} {'ns':>8} {'x Lock':>8}")
    for label, stmt in cases:
        ns = best_ns(stmt, "", env, n)
        print(f"{label:48} {ns:8.1f} {ns / reference:8.2f}")

    print()
    print(
        f"contended: {THREADS} threads x {n // 10} acquire/work/release each "
        f"(switch interval {sys.getswitchinterval() * 1e6:.0f} us), ns per operation (wall)"
    )
    print(f"{'lock':48} {'ns':>8} {'x Lock':>8}")
    contended = [
        ("threading.Lock", _pair(threading.Lock())),
        ("Mutex (FIFO hand-off)", _pair(Mutex())),
        ("RWLock write side", _rw_pair(RWLock(), write=True)),
        ("RWLock read side (readers only)", _rw_pair(RWLock(), write=False)),
        ("JobSlot", _job_pair(JobSlot())),
    ]
    base = None
    for label, op in contended:
        ns = contended_ns(op, n // 10)
        base = base or ns
        print(f"{label:48} {ns:8.1f} {ns / base:8.2f}")
    return 0


THREADS = 4


def _pair(lock: Any) -> Callable[[], None]:
    acquire, release = lock.acquire, lock.release

    def op() -> None:
        acquire()
        _work()
        release()

    return op


_shared: dict[str, int] = {"n": 0}


def _work() -> None:
    """A few bytecodes of critical section, so threads can be switched while inside."""
    for _ in range(3):
        _shared["n"] = _shared["n"] + 1


def _rw_pair(lock: RWLock, *, write: bool) -> Callable[[], None]:
    acquire = lock.acquire_write if write else lock.acquire_read
    release = lock.release_write if write else lock.release_read

    def op() -> None:
        acquire()
        _work()
        release()

    return op


def _job_pair(slot: JobSlot) -> Callable[[], None]:
    def op() -> None:
        slot.begin("bench", -1.0)
        _work()
        slot.end()

    return op


def contended_ns(op: Callable[[], None], per_thread: int) -> float:
    """Wall time per operation with THREADS threads running ``op`` at once."""
    barrier = threading.Barrier(THREADS + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(per_thread):
            op()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return (time.perf_counter() - t0) / (THREADS * per_thread) * 1e9


if __name__ == "__main__":
    raise SystemExit(main())
