"""The compiled locks and job slots (pyvirt._core.sync) under real thread contention.

Orderings are forced with the primitives' own ``waiting`` counters and with threading.Event,
not with sleeps, so each assertion holds on a loaded machine. Every join has a timeout: a
deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import random
import signal
import sys
import threading
import time
from collections.abc import Callable

import pytest
from pyvirt._core.sync import JobSlot, Mutex, RWLock

JOIN = 10.0  # seconds: generous upper bound for any thread in this file


def start(fn: Callable[[], object]) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def join_all(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join(JOIN)
    assert not any(t.is_alive() for t in threads), "thread still blocked: deadlock"


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + JOIN
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


# -- Mutex -------------------------------------------------------------------------------------


def test_mutex_try_and_release() -> None:
    m = Mutex()
    assert m.acquire() is True
    assert m.locked
    assert m.acquire(0) is False
    m.release()
    assert not m.locked
    with pytest.raises(RuntimeError):
        m.release()
    with m:
        assert m.locked
    assert not m.locked


def test_mutex_timeout_fires_and_leaves_queue() -> None:
    m = Mutex()
    m.acquire()
    t0 = time.monotonic()
    assert m.acquire(0.2) is False
    elapsed = time.monotonic() - t0
    assert elapsed >= 0.19
    assert m.waiting == 0
    m.release()
    assert m.acquire(0) is True
    m.release()


def test_mutex_wait_releases_the_gil() -> None:
    m = Mutex()
    m.acquire()
    got = threading.Event()

    def waiter() -> None:
        m.acquire()
        got.set()
        m.release()

    t = start(waiter)
    wait_for(lambda: m.waiting == 1, "waiter to queue")
    # The waiter is parked inside acquire(); Python code in this thread must still run.
    spins = 0
    end = time.monotonic() + 0.05
    while time.monotonic() < end:
        spins += 1
    assert spins > 1000
    assert not got.is_set()
    m.release()
    join_all([t])
    assert got.is_set()


def test_mutex_mutual_exclusion() -> None:
    m = Mutex()
    box = {"n": 0}
    inside = {"now": 0, "max": 0}

    def worker() -> None:
        for _ in range(300):
            with m:
                inside["now"] += 1
                inside["max"] = max(inside["max"], inside["now"])
                n = box["n"]
                time.sleep(0)  # invite a thread switch mid-update
                box["n"] = n + 1
                inside["now"] -= 1

    threads = [start(worker) for _ in range(4)]
    join_all(threads)
    assert box["n"] == 1200
    assert inside["max"] == 1


def test_mutex_is_fifo() -> None:
    m = Mutex()
    m.acquire()
    order: list[int] = []

    def waiter(i: int) -> None:
        m.acquire()
        order.append(i)
        m.release()

    threads = []
    for i in range(6):
        threads.append(start(lambda i=i: waiter(i)))
        wait_for(lambda i=i: m.waiting == i + 1, f"waiter {i} to queue")
    m.release()
    join_all(threads)
    assert order == list(range(6))


def test_mutex_timed_out_waiter_does_not_block_the_next() -> None:
    m = Mutex()
    m.acquire()
    results: dict[str, bool] = {}

    def impatient() -> None:
        results["impatient"] = m.acquire(0.1)

    def patient() -> None:
        results["patient"] = m.acquire(JOIN)
        m.release()

    t1 = start(impatient)
    wait_for(lambda: m.waiting == 1, "impatient to queue")
    t2 = start(patient)
    wait_for(lambda: "impatient" in results, "impatient to time out")
    assert m.waiting == 1  # only the patient one is left in the queue
    m.release()
    join_all([t1, t2])
    assert results == {"impatient": False, "patient": True}
    assert not m.locked and m.waiting == 0


def test_mutex_timeout_racing_handoff_stays_consistent() -> None:
    """Waiters with tiny timeouts race releases; ownership is never lost or duplicated."""
    m = Mutex()
    holders = {"now": 0, "bad": 0}

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(300):
            if m.acquire(rnd.choice((0.0, 0.0005, 0.002, 0.05))):
                holders["now"] += 1
                if holders["now"] != 1:
                    holders["bad"] += 1
                holders["now"] -= 1
                m.release()

    threads = [start(lambda s=s: worker(s)) for s in range(6)]
    join_all(threads)
    assert holders["bad"] == 0
    assert not m.locked and m.waiting == 0
    assert m.acquire(0)
    m.release()


# -- RWLock ------------------------------------------------------------------------------------


def test_rwlock_many_readers_at_once() -> None:
    lock = RWLock()
    n = 6
    barrier = threading.Barrier(n + 1, timeout=JOIN)
    seen: list[int] = []

    def reader() -> None:
        with lock.read():
            barrier.wait()  # every reader is inside before any leaves
            seen.append(lock.readers)
            barrier.wait()

    threads = [start(reader) for _ in range(n)]
    barrier.wait()
    assert lock.readers == n
    barrier.wait()
    join_all(threads)
    assert seen == [n] * n
    assert lock.readers == 0


def test_rwlock_writer_excludes_everyone() -> None:
    lock = RWLock()
    with lock.write():
        assert lock.writer
        assert lock.acquire_read(0) is False
        assert lock.acquire_read(0.05) is False
        assert lock.acquire_write(0.05) is False
    assert lock.acquire_read(0)
    assert lock.acquire_write(0.05) is False  # a reader keeps writers out
    lock.release_read()
    with pytest.raises(RuntimeError):
        lock.release_read()
    with pytest.raises(RuntimeError):
        lock.release_write()


def test_rwlock_prefers_a_waiting_writer() -> None:
    lock = RWLock()
    lock.acquire_read()
    order: list[str] = []

    def writer() -> None:
        with lock.write():
            order.append("writer")

    w = start(writer)
    wait_for(lambda: lock.writers_waiting == 1, "writer to queue")
    # A new reader may not overtake the waiting writer.
    assert lock.acquire_read(0) is False
    assert lock.acquire_read(0.05) is False

    def late_reader() -> None:
        with lock.read():
            order.append("reader")

    r = start(late_reader)
    assert lock.readers == 1  # only the first reader is inside
    lock.release_read()
    join_all([w, r])
    assert order == ["writer", "reader"]


def test_rwlock_writer_timeout_lets_held_back_readers_in() -> None:
    lock = RWLock()
    lock.acquire_read()
    result: dict[str, bool] = {}

    def writer() -> None:
        result["writer"] = lock.acquire_write(0.3)

    def reader() -> None:
        result["reader"] = lock.acquire_read(JOIN)
        lock.release_read()

    w = start(writer)
    wait_for(lambda: lock.writers_waiting == 1, "writer to queue")
    r = start(reader)
    join_all([w, r])  # the first reader still holds the lock the whole time
    assert result == {"writer": False, "reader": True}
    assert lock.writers_waiting == 0
    lock.release_read()
    assert lock.acquire_write(0)
    lock.release_write()


def test_rwlock_contention_keeps_invariants() -> None:
    lock = RWLock()
    state = {"readers": 0, "writers": 0, "bad": 0, "writes": 0}
    guard = threading.Lock()  # protects the bookkeeping only

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(250):
            if rnd.random() < 0.3:
                with lock.write():
                    with guard:
                        state["writers"] += 1
                        if state["writers"] != 1 or state["readers"]:
                            state["bad"] += 1
                    time.sleep(0)
                    with guard:
                        state["writers"] -= 1
                        state["writes"] += 1
            else:
                with lock.read():
                    with guard:
                        state["readers"] += 1
                        if state["writers"]:
                            state["bad"] += 1
                    time.sleep(0)
                    with guard:
                        state["readers"] -= 1

    threads = [start(lambda s=s: worker(s)) for s in range(8)]
    join_all(threads)
    assert state["bad"] == 0
    assert state["writes"] > 0
    assert lock.readers == 0 and not lock.writer and lock.writers_waiting == 0


# -- JobSlot -----------------------------------------------------------------------------------


def test_jobslot_fields() -> None:
    slot = JobSlot()
    assert not slot.active and slot.name is None and slot.started == 0.0
    slot.request_abort()
    assert not slot.abort_requested  # nothing to abort
    before = time.monotonic()
    assert slot.begin("start", 1.0)
    assert slot.active and slot.name == "start"
    assert before <= slot.started <= time.monotonic()
    assert slot.begin("destroy", 0) is False
    slot.request_abort()
    assert slot.abort_requested
    slot.end()
    assert not slot.active and slot.name is None
    assert slot.begin("save", 0)
    assert not slot.abort_requested  # a new job starts without the old request
    slot.end()
    with pytest.raises(RuntimeError):
        slot.end()


def test_jobslot_timeout() -> None:
    slot = JobSlot()
    slot.begin("long", -1)
    t0 = time.monotonic()
    assert slot.begin("other", 0.15) is False
    assert time.monotonic() - t0 >= 0.14
    assert slot.name == "long"
    slot.end()


def test_jobslot_waiters_served_in_order() -> None:
    slot = JobSlot()
    slot.begin("holder", -1)
    order: list[str] = []

    def job(name: str) -> None:
        assert slot.begin(name, JOIN)
        order.append(slot.name or "?")
        slot.end()

    threads = []
    for i in range(5):
        threads.append(start(lambda i=i: job(f"j{i}")))
        wait_for(lambda i=i: slot.waiting == i + 1, f"job {i} to queue")
    slot.end()
    join_all(threads)
    assert order == [f"j{i}" for i in range(5)]
    assert not slot.active


def test_jobslot_one_job_at_a_time_under_contention() -> None:
    slot = JobSlot()
    state = {"now": 0, "bad": 0, "done": 0, "timeouts": 0}

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        for i in range(100):
            if not slot.begin(f"w{seed}-{i}", rnd.choice((0.001, 0.05, JOIN))):
                state["timeouts"] += 1
                continue
            state["now"] += 1
            if state["now"] != 1:
                state["bad"] += 1
            time.sleep(0)
            state["now"] -= 1
            state["done"] += 1
            slot.end()

    threads = [start(lambda s=s: worker(s)) for s in range(8)]
    join_all(threads)
    assert state["bad"] == 0
    assert state["done"] + state["timeouts"] == 800
    assert not slot.active and slot.waiting == 0


def test_no_deadlock_between_the_gil_and_internal_mutexes() -> None:
    """Threads switched every microsecond mix every primitive's fast and slow paths.

    A thread that blocked on an internal mutex re-takes the GIL while owning that mutex; if any
    GIL-holding path then blocked on the same mutex (a release, say), both would hang.
    """
    m, slot, rw = Mutex(), JobSlot(), RWLock()
    done = {"n": 0}
    count_lock = threading.Lock()

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(400):
            choice = rnd.random()
            if choice < 0.35:
                with m:
                    pass
            elif choice < 0.6:
                if slot.begin("w", 0.5):
                    slot.end()
            elif choice < 0.85:
                with rw.read():
                    pass
            else:
                with rw.write():
                    pass
        with count_lock:
            done["n"] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [start(lambda s=s: worker(s)) for s in range(8)]
        join_all(threads)
    finally:
        sys.setswitchinterval(old)
    assert done["n"] == 8
    assert not m.locked and not slot.active and rw.readers == 0 and not rw.writer


# -- signals (Ctrl-C) interrupt waits in the main thread ----------------------------------------


class Interrupted(Exception):
    pass


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted


def interrupt_main_when(ready: Callable[[], bool]) -> threading.Thread:
    """Send SIGUSR1 to the main thread once ``ready()`` holds (the main thread is parked)."""

    def send() -> None:
        wait_for(ready, "the main thread to wait")
        signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    return start(send)


@pytest.fixture
def sigusr1():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers run only in the main thread")
    old = signal.signal(signal.SIGUSR1, _raise_interrupted)
    yield
    signal.signal(signal.SIGUSR1, old)


def test_signal_interrupts_an_untimed_mutex_wait(sigusr1: None) -> None:
    m = Mutex()
    m.acquire()
    sender = interrupt_main_when(lambda: m.waiting == 1)
    with pytest.raises(Interrupted):
        m.acquire()
    join_all([sender])
    assert m.waiting == 0 and m.locked  # left the queue; the holder still holds it
    m.release()
    assert m.acquire(0)
    m.release()


def test_signal_interrupts_a_job_wait(sigusr1: None) -> None:
    slot = JobSlot()
    slot.begin("holder", -1)
    sender = interrupt_main_when(lambda: slot.waiting == 1)
    with pytest.raises(Interrupted):
        slot.begin("impatient", 30.0)
    join_all([sender])
    assert slot.waiting == 0 and slot.name == "holder"
    slot.end()
    assert not slot.active


def test_signal_interrupts_rwlock_waits(sigusr1: None) -> None:
    lock = RWLock()
    lock.acquire_read()
    sender = interrupt_main_when(lambda: lock.writers_waiting == 1)
    with pytest.raises(Interrupted):
        lock.acquire_write()
    join_all([sender])
    assert lock.writers_waiting == 0
    assert lock.acquire_read(0)  # no phantom writer holds readers back
    lock.release_read()
    lock.release_read()

    lock.acquire_write()
    flag = threading.Event()

    def set_soon() -> None:
        time.sleep(0.2)  # the main thread is parked in acquire_read by then (or soon)
        flag.set()

    sender = interrupt_main_when(flag.is_set)
    setter = start(set_soon)
    with pytest.raises(Interrupted):
        lock.acquire_read()
    join_all([sender, setter])
    assert lock.readers == 0 and lock.writer
    lock.release_write()
