"""Object lifecycle events and the bus that delivers them.

A driver produces an event at the moment a change happens, usually while it holds a domain's
lock or its own driver lock. Delivering it there would let a user callback run under that lock
(and deadlock if it calls back into the driver), so :meth:`EventBus.emit` only appends the event
to a queue. One daemon *dispatcher* thread per bus takes events off the queue in order and hands
each one to every registered callback and async stream. This is libvirt's object event queue
(``virObjectEventStateQueue``) with its timer-driven flush replaced by a thread.

* Callbacks run on the dispatcher thread, one event at a time, in emission order. A callback
  that raises is logged and the others still get the event; the dispatcher carries on.
* An async stream (:meth:`EventBus.stream`) receives events through
  ``loop.call_soon_threadsafe`` into a bounded queue: a slow consumer drops its own oldest
  events (counted in ``stream.dropped``) and never blocks the dispatcher or other consumers.
* As in libvirt, an event emitted while nobody is registered is dropped at once.
* Callback ids count from 0 per bus, as libvirt's do per connection state.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .enums import DomainEventType, NetworkEventType, StoragePoolEventType
from .errors import ErrorNumber, virt_error

if TYPE_CHECKING:
    import asyncio

    from .driver.refs import DomainRef, NetworkRef, StoragePoolRef

__all__ = [
    "Event",
    "DomainLifecycleEvent",
    "DomainRebootEvent",
    "NetworkLifecycleEvent",
    "StoragePoolLifecycleEvent",
    "EventBus",
    "EventStream",
]

# asyncio (about 25 ms with ssl, sockets and subprocess) and logging (4 ms) are imported where
# they are used: by async streams, and when a callback fails; a program that opens a
# connection and lists domains needs neither.


def _log_failure(reg_id: int, item: Any) -> None:
    import logging

    logging.getLogger(__name__).exception("event callback %d failed on %r", reg_id, item)


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event (use it as ``event_class`` to receive them all)."""


@dataclass(frozen=True, slots=True)
class DomainLifecycleEvent(Event):
    """libvirt's VIR_DOMAIN_EVENT_ID_LIFECYCLE: ``event`` and its ``detail`` code."""

    domain: DomainRef
    event: DomainEventType
    detail: int


@dataclass(frozen=True, slots=True)
class DomainRebootEvent(Event):
    """libvirt's VIR_DOMAIN_EVENT_ID_REBOOT."""

    domain: DomainRef


@dataclass(frozen=True, slots=True)
class NetworkLifecycleEvent(Event):
    """libvirt's VIR_NETWORK_EVENT_ID_LIFECYCLE."""

    network: NetworkRef
    event: NetworkEventType
    detail: int


@dataclass(frozen=True, slots=True)
class StoragePoolLifecycleEvent(Event):
    """libvirt's VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE."""

    pool: StoragePoolRef
    event: StoragePoolEventType
    detail: int


def _subject(event: Event) -> Any:
    """The object an event is about (its first field), or None."""
    for name in ("domain", "network", "pool"):
        value = getattr(event, name, None)
        if value is not None:
            return value
    return None


def _same_object(ref: Any, target: Any) -> bool:
    uuid = getattr(target, "uuid", None)
    if uuid is not None and getattr(ref, "uuid", None) is not None:
        return bool(ref.uuid == uuid)
    return bool(getattr(ref, "name", None) == getattr(target, "name", object()))


class _Registration:
    """One subscriber: a callback (or a stream's feeder) with its filters."""

    __slots__ = ("id", "deliver", "event_class", "match", "active")

    def __init__(
        self,
        reg_id: int,
        deliver: Callable[[Any], Any],
        event_class: type | tuple[type, ...] | None,
        match: Any,
    ) -> None:
        self.id = reg_id
        self.deliver = deliver
        self.event_class = event_class
        self.match = match
        self.active = True

    def wants(self, event: Event) -> bool:
        if self.event_class is not None and not isinstance(event, self.event_class):
            return False
        match = self.match
        if match is None:
            return True
        if callable(match):
            return bool(match(event))
        subject = _subject(event)
        return subject is not None and _same_object(subject, match)


class _Marker:
    """Queued by flush(): set when the dispatcher reaches it."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


class EventBus:
    """Queue plus dispatcher thread delivering events to callbacks and async streams."""

    def __init__(self, *, name: str = "pyvirt-events") -> None:
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards registrations and the thread's start/stop
        # Copy-on-write tuple: the dispatcher and emit() read it without locking.
        self._subs: tuple[_Registration, ...] = ()
        self._next_id = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- producing --------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Queue ``event`` for delivery; never blocks, never calls user code."""
        if self._subs and not self._closed:
            self._queue.put(event)

    # -- subscribing ------------------------------------------------------------------------

    def register(
        self,
        callback: Callable[[Any], Any],
        event_class: type | tuple[type, ...] | None = None,
        match: Any = None,
    ) -> int:
        """Call ``callback(event)`` on the dispatcher thread for each matching event.

        ``event_class`` limits delivery to instances of that class (or tuple of classes).
        ``match`` is either a predicate ``match(event) -> bool`` or an object reference
        (e.g. a :class:`~pyvirt.driver.refs.DomainRef`): then only events about the object
        with the same uuid are delivered, like libvirt's per-domain registration.
        Returns the callback id for :meth:`deregister`.
        """
        return self._add(callback, event_class, match).id

    def deregister(self, callback_id: int) -> None:
        """Stop delivering to ``callback_id``.

        After this returns the callback is not started again (a call already running on the
        dispatcher thread finishes). An unknown id is libvirt's VIR_ERR_INVALID_ARG "could not
        find event callback N for deletion".
        """
        with self._lock:
            for reg in self._subs:
                if reg.id == callback_id:
                    reg.active = False
                    self._subs = tuple(r for r in self._subs if r is not reg)
                    return
        raise virt_error(
            ErrorNumber.INVALID_ARG, f"could not find event callback {callback_id} for deletion"
        )

    def stream(
        self,
        event_class: type | tuple[type, ...] | None = None,
        match: Any = None,
        *,
        maxsize: int = 1024,
    ) -> EventStream:
        """An async iterator of matching events for the running asyncio loop.

        Must be called from inside the loop's thread (it binds to the running loop). Events
        emitted after this call are delivered; close the stream (``await stream.aclose()``,
        ``async with``, or :meth:`EventStream.close`) to unsubscribe.
        """
        import asyncio

        loop = asyncio.get_running_loop()
        stream = EventStream(self, loop, maxsize)
        stream._reg = self._add(stream._feed, event_class, match)
        return stream

    def _add(self, deliver: Callable[[Any], Any], event_class: Any, match: Any) -> _Registration:
        with self._lock:
            if self._closed:
                raise virt_error(ErrorNumber.OPERATION_INVALID, "event bus is closed")
            reg = _Registration(self._next_id, deliver, event_class, match)
            self._next_id += 1
            self._subs = self._subs + (reg,)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            return reg

    def _remove(self, reg: _Registration) -> None:
        with self._lock:
            reg.active = False
            self._subs = tuple(r for r in self._subs if r is not reg)

    @property
    def callback_count(self) -> int:
        return len(self._subs)

    # -- delivering -------------------------------------------------------------------------

    def _run(self) -> None:
        get = self._queue.get
        while True:
            item = get()
            if item is _STOP:
                break
            if isinstance(item, _Marker):
                item.done.set()
                continue
            for reg in self._subs:
                if not reg.active:
                    continue
                try:
                    if reg.wants(item):
                        reg.deliver(item)
                except Exception:
                    _log_failure(reg.id, item)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event emitted before this call has been delivered.

        Returns False on timeout, or when called from the dispatcher thread itself (which
        cannot wait for its own progress). True at once when nothing is subscribed.
        """
        thread = self._thread
        if thread is None or self._closed:
            return True
        if threading.current_thread() is thread:
            return False
        marker = _Marker()
        self._queue.put(marker)
        return marker.done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the dispatcher after it delivers what is queued; end every stream."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            subs, self._subs = self._subs, ()
            thread = self._thread
        for reg in subs:
            reg.active = False
            owner = getattr(reg.deliver, "__self__", None)
            if isinstance(owner, EventStream):
                owner._end()
        if thread is not None:
            self._queue.put(_STOP)
            if threading.current_thread() is not thread:
                thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closed


class EventStream:
    """Async iterator over a bus's events, bound to one asyncio loop (see :meth:`EventBus.stream`)."""

    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self._bus = bus
        self._loop = loop
        import asyncio

        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max(1, maxsize))
        self._reg: _Registration | None = None
        self._ended = False
        #: events this consumer lost because it fell ``maxsize`` events behind
        self.dropped = 0

    # dispatcher thread side
    def _feed(self, event: Event) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:  # the loop is closed: nobody will read this stream again
            self.close()

    # loop side
    def _put(self, item: Any) -> None:
        if self._ended and item is not _STOP:
            return
        q = self._queue
        if q.full():
            q.get_nowait()
            self.dropped += 1
        q.put_nowait(item)

    def _end(self) -> None:
        """Finish the stream (thread-safe): the consumer sees StopAsyncIteration."""
        try:
            self._loop.call_soon_threadsafe(self._put, _STOP)
        except RuntimeError:
            pass

    def close(self) -> None:
        """Unsubscribe; a consumer waiting in ``async for`` finishes. Safe from any thread."""
        reg, self._reg = self._reg, None
        if reg is not None:
            self._bus._remove(reg)
            self._end()

    async def aclose(self) -> None:
        self.close()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        if self._ended:
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _STOP:
            self._ended = True
            raise StopAsyncIteration
        return item

    async def get(self, timeout: float | None = None) -> Event:
        """The next event, waiting at most ``timeout`` seconds (asyncio.TimeoutError)."""
        import asyncio

        return await asyncio.wait_for(self.__anext__(), timeout)

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
