"""The event bus: asynchronous in-order delivery, isolation from failing callbacks, asyncio streams."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from pyvirt.driver.refs import DomainRef, NetworkRef
from pyvirt.enums import DomainEventStartedDetail, DomainEventType, NetworkEventType
from pyvirt.errors import ErrorNumber, InvalidArgError, VirtError
from pyvirt.events import (
    DomainLifecycleEvent,
    DomainRebootEvent,
    Event,
    EventBus,
    NetworkLifecycleEvent,
)

JOIN = 10.0
DOM_A = DomainRef("a", "11111111-1111-1111-1111-111111111111", 1)
DOM_B = DomainRef("b", "22222222-2222-2222-2222-222222222222", 2)


def started(seq: int, dom: DomainRef = DOM_A) -> DomainLifecycleEvent:
    """A lifecycle event whose ``detail`` carries a sequence number for order checks."""
    return DomainLifecycleEvent(dom, DomainEventType.STARTED, seq)


@pytest.fixture
def bus():
    b = EventBus()
    yield b
    b.close()


def test_callbacks_run_on_the_dispatcher_thread_outside_the_emitters_lock(bus: EventBus) -> None:
    driver_lock = threading.Lock()
    seen: list[tuple[int, bool]] = []
    bus.register(lambda ev: seen.append((threading.get_ident(), driver_lock.acquire(timeout=JOIN))))
    with driver_lock:
        bus.emit(started(0))  # returns without running the callback
        assert seen == []
    assert bus.flush(JOIN)
    assert len(seen) == 1
    thread_id, could_lock = seen[0]
    assert thread_id != threading.get_ident()
    assert could_lock  # the dispatcher holds no lock the emitter held
    driver_lock.release()


def test_emit_never_waits_for_a_slow_callback(bus: EventBus) -> None:
    gate = threading.Event()
    got: list[int] = []

    def slow(ev: DomainLifecycleEvent) -> None:
        gate.wait(JOIN)
        got.append(ev.detail)

    bus.register(slow)
    for i in range(100):
        bus.emit(started(i))  # the callback is stuck on the first; these only enqueue
    assert got == []
    gate.set()
    assert bus.flush(JOIN)
    assert got == list(range(100))


def test_order_is_preserved_for_every_callback(bus: EventBus) -> None:
    first: list[int] = []
    second: list[int] = []
    bus.register(lambda ev: first.append(ev.detail))
    bus.register(lambda ev: second.append(ev.detail))
    producers = []
    for k in range(3):  # each producer's own events keep their relative order
        t = threading.Thread(
            target=lambda k=k: [bus.emit(started(k * 1000 + i)) for i in range(300)]
        )
        producers.append(t)
        t.start()
    for t in producers:
        t.join(JOIN)
    assert bus.flush(JOIN)
    assert first == second
    assert len(first) == 900
    for k in range(3):
        mine = [d for d in first if d // 1000 == k]
        assert mine == sorted(mine)


def test_a_raising_callback_does_not_stop_delivery(
    bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    calls = {"bad": 0}
    good: list[int] = []

    def bad(ev: Event) -> None:
        calls["bad"] += 1
        raise RuntimeError("callback bug")

    bus.register(bad)
    bus.register(lambda ev: good.append(ev.detail))
    with caplog.at_level(logging.ERROR, logger="pyvirt.events"):
        for i in range(10):
            bus.emit(started(i))
        assert bus.flush(JOIN)
    assert calls["bad"] == 10
    assert good == list(range(10))
    assert "callback bug" in caplog.text


def test_deregistration(bus: EventBus) -> None:
    got: list[int] = []
    cb_id = bus.register(lambda ev: got.append(ev.detail))
    assert cb_id == 0 and bus.register(lambda ev: None) == 1  # ids count from 0, as libvirt's
    bus.emit(started(1))
    assert bus.flush(JOIN)
    bus.deregister(cb_id)
    bus.emit(started(2))
    assert bus.flush(JOIN)
    assert got == [1]
    with pytest.raises(InvalidArgError) as info:
        bus.deregister(cb_id)
    err = info.value
    assert err.code == ErrorNumber.INVALID_ARG
    assert err.message == f"invalid argument: could not find event callback {cb_id} for deletion"
    with pytest.raises(VirtError):
        bus.deregister(12345)


def test_deregister_from_inside_a_callback(bus: EventBus) -> None:
    got: list[int] = []
    ids: list[int] = []

    def once(ev: DomainLifecycleEvent) -> None:
        got.append(ev.detail)
        bus.deregister(ids[0])
        assert bus.flush(0.1) is False  # the dispatcher cannot wait for itself

    ids.append(bus.register(once))
    for i in range(5):
        bus.emit(started(i))
    assert bus.flush(JOIN)
    assert got == [0]


def test_filters(bus: EventBus) -> None:
    lifecycle: list[Event] = []
    only_b: list[Event] = []
    predicate: list[Event] = []
    bus.register(lifecycle.append, event_class=DomainLifecycleEvent)
    bus.register(only_b.append, match=DOM_B)
    bus.register(predicate.append, match=lambda ev: getattr(ev, "detail", None) == 3)
    net = NetworkLifecycleEvent(
        NetworkRef("default", "33333333-3333-3333-3333-333333333333"), NetworkEventType.STARTED, 0
    )
    events = [started(1), DomainRebootEvent(DOM_B), started(3, DOM_B), net]
    for ev in events:
        bus.emit(ev)
    assert bus.flush(JOIN)
    assert lifecycle == [events[0], events[2]]
    assert only_b == [events[1], events[2]]
    assert predicate == [events[2]]


def test_events_without_subscribers_are_dropped() -> None:
    bus = EventBus()
    try:
        bus.emit(started(0))  # nobody listens: dropped, as libvirt does
        assert bus.flush(JOIN)
        got: list[int] = []
        bus.register(lambda ev: got.append(ev.detail))
        bus.emit(started(1))
        assert bus.flush(JOIN)
        assert got == [1]
    finally:
        bus.close()


def test_events_are_frozen_and_typed() -> None:
    ev = DomainLifecycleEvent(DOM_A, DomainEventType.STARTED, DomainEventStartedDetail.BOOTED)
    with pytest.raises(AttributeError):
        ev.detail = 3  # type: ignore[misc]
    assert isinstance(ev, Event) and ev.event is DomainEventType.STARTED


def test_async_stream_in_order_from_another_thread(bus: EventBus) -> None:
    async def main() -> list[int]:
        received: list[int] = []
        async with bus.stream(event_class=DomainLifecycleEvent) as stream:
            producer = threading.Thread(target=lambda: [bus.emit(started(i)) for i in range(50)])
            producer.start()
            async for ev in stream:
                received.append(ev.detail)
                if len(received) == 50:
                    break
            producer.join(JOIN)
        return received

    assert asyncio.run(main()) == list(range(50))
    assert bus.callback_count == 0  # leaving the block unsubscribed the stream


def test_slow_stream_never_blocks_the_dispatcher(bus: EventBus) -> None:
    async def main() -> tuple[list[int], list[int], int]:
        fast: list[int] = []
        bus.register(lambda ev: fast.append(ev.detail))
        stream = bus.stream(maxsize=5)
        for i in range(100):
            bus.emit(started(i))
        # the stream's consumer has read nothing, yet every event reaches the other callback
        assert bus.flush(JOIN)
        for _ in range(10):  # let the loop run the queued hand-offs
            await asyncio.sleep(0)
        kept = [(await stream.get(JOIN)).detail for _ in range(5)]
        stream.close()
        return fast, kept, stream.dropped

    fast, kept, dropped = asyncio.run(main())
    assert fast == list(range(100))
    assert kept == list(range(95, 100))  # the newest events survive, in order
    assert dropped == 95


def test_close_ends_streams_and_the_dispatcher() -> None:
    bus = EventBus()

    async def main() -> list[int]:
        got: list[int] = []
        stream = bus.stream()
        bus.emit(started(1))
        threading.Timer(0.05, bus.close).start()
        async for ev in stream:  # ends when the bus closes
            got.append(ev.detail)
        return got

    assert asyncio.run(main()) == [1]
    assert bus.closed
    bus.emit(started(2))  # ignored after close
    with pytest.raises(VirtError):
        bus.register(lambda ev: None)
    dispatcher = bus._thread
    assert dispatcher is not None
    dispatcher.join(JOIN)
    assert not dispatcher.is_alive()
