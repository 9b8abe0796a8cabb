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
import timeit
import uuid

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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
