# cython: language_level=3, boundscheck=False, wraparound=False
"""Locks and job slots for pyvirt's object model, waiting without the GIL.

libvirt guards every domain with a short-lived object mutex, guards the domain list with a
read/write lock, and serialises modifying API calls on one domain through a *job*: a caller
that finds another job running waits on a condition with a deadline and fails when it passes.
This module provides those three primitives on top of POSIX threads:

* :class:`Mutex` -- exclusive, FIFO-fair, with an optional timeout.
* :class:`RWLock` -- many readers or one writer; a waiting writer holds off new readers
  (writer preference), so a stream of lookups cannot starve a define.
* :class:`JobSlot` -- one named job at a time; waiters are served in arrival order.

Every wait happens inside ``with nogil`` so other Python threads keep running, and every
deadline is measured on ``CLOCK_MONOTONIC`` (the condition variables are created with
``pthread_condattr_setclock``), so changing the wall clock neither shortens nor stretches a
wait. The uncontended path never releases the GIL: code that holds the GIL takes an internal
mutex with ``pthread_mutex_trylock`` and releases the GIL only when it has to block on it
(:func:`_lock_internal`), so no thread ever blocks on an internal mutex while holding the GIL.

FIFO fairness comes from direct hand-off: a releasing thread gives ownership to the oldest
waiter (each waiter sleeps on its own condition variable, in a node on its own stack), so a
newcomer can never barge in front of a queue. A waiter whose deadline passes removes itself
from the queue; if ownership reached it at the same moment it keeps it and reports success.

A wait in the main thread wakes every 50 ms to run Python's signal handlers, so Ctrl-C
interrupts it as it interrupts ``threading.Lock.acquire``; the interrupted waiter leaves its
queue (or passes on ownership that reached it meanwhile) before the exception propagates.

Nothing here knows about libvirt errors: a timeout is reported as ``False`` and the caller
raises the error it needs. The locks are not re-entrant: a thread that takes one twice waits
on itself (for a timed wait that means a timeout, for an untimed one a deadlock).
"""

from libc.errno cimport ETIMEDOUT, EBUSY
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC
from posix.types cimport clockid_t
from cpython.pythread cimport PyThread_get_thread_ident

import threading


cdef extern from "Python.h":
    # Declared here without Cython's automatic ``except -1``: on an exception the waiter must
    # first leave its queue, then return -1 itself.
    int PyErr_CheckSignals() noexcept


cdef extern from "<pthread.h>" nogil:
    ctypedef struct pthread_mutex_t:
        pass
    ctypedef struct pthread_mutexattr_t:
        pass
    ctypedef struct pthread_cond_t:
        pass
    ctypedef struct pthread_condattr_t:
        pass

    int pthread_mutex_init(pthread_mutex_t *mutex, const pthread_mutexattr_t *attr)
    int pthread_mutex_destroy(pthread_mutex_t *mutex)
    int pthread_mutex_lock(pthread_mutex_t *mutex)
    int pthread_mutex_trylock(pthread_mutex_t *mutex)
    int pthread_mutex_unlock(pthread_mutex_t *mutex)

    int pthread_condattr_init(pthread_condattr_t *attr)
    int pthread_condattr_setclock(pthread_condattr_t *attr, clockid_t clock_id)
    int pthread_cond_init(pthread_cond_t *cond, const pthread_condattr_t *attr)
    int pthread_cond_destroy(pthread_cond_t *cond)
    int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
    int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                               const timespec *abstime)
    int pthread_cond_signal(pthread_cond_t *cond)
    int pthread_cond_broadcast(pthread_cond_t *cond)


# Every condition variable in this module measures deadlines on the monotonic clock.
cdef pthread_condattr_t _monotonic_attr
pthread_condattr_init(&_monotonic_attr)
if pthread_condattr_setclock(&_monotonic_attr, CLOCK_MONOTONIC) != 0:
    raise ImportError("pthread_condattr_setclock(CLOCK_MONOTONIC) is not supported")


cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <double>ts.tv_sec + <double>ts.tv_nsec * 1e-9


cdef inline void _abs_timespec(timespec *ts, double when) noexcept nogil:
    """The timespec for ``when`` seconds on CLOCK_MONOTONIC."""
    cdef long long sec = <long long>when
    ts.tv_sec = sec
    ts.tv_nsec = <long>((when - <double>sec) * 1e9)
    if ts.tv_nsec >= 1000000000:
        ts.tv_sec += 1
        ts.tv_nsec -= 1000000000


# A wait in the main thread wakes this often to run Python's signal handlers, so Ctrl-C
# interrupts a long wait as it does threading.Lock.acquire(). Other threads never receive
# signals and sleep in one piece.
cdef enum:
    _SLICE = 2
cdef double _SLICE_SECONDS = 0.05
cdef unsigned long _main_ident = threading.main_thread().ident


cdef inline bint _in_main_thread() noexcept:
    return PyThread_get_thread_ident() == _main_ident


cdef inline void _lock_internal(pthread_mutex_t *mu) noexcept:
    """Take an internal mutex from code that holds the GIL.

    It tries first and, only if the mutex is busy, releases the GIL while it blocks. Every
    GIL-holding path must lock an internal mutex this way and never with a plain
    pthread_mutex_lock: a thread that owns the mutex may be waiting for the GIL (it re-takes
    the GIL on leaving ``with nogil`` here), so blocking on the mutex while holding the GIL
    could deadlock both.
    """
    if pthread_mutex_trylock(mu) == EBUSY:
        with nogil:
            pthread_mutex_lock(mu)


# ---------------------------------------------------------------------------------------------
# The FIFO gate: exclusive ownership handed from one thread to the next in arrival order.

cdef struct Waiter:
    Waiter *next
    pthread_cond_t cond
    bint granted


cdef struct Gate:
    pthread_mutex_t mu
    bint held
    Waiter *head
    Waiter *tail
    int waiting


cdef void _gate_init(Gate *g) noexcept:
    pthread_mutex_init(&g.mu, NULL)
    g.held = False
    g.head = NULL
    g.tail = NULL
    g.waiting = 0


cdef void _gate_destroy(Gate *g) noexcept:
    pthread_mutex_destroy(&g.mu)


cdef bint _gate_try(Gate *g) noexcept:
    """Take the gate if it is free right now (never waits for the gate; GIL held)."""
    cdef bint got = False
    _lock_internal(&g.mu)
    if not g.held:
        g.held = True
        got = True
    pthread_mutex_unlock(&g.mu)
    return got


cdef void _gate_dequeue(Gate *g, Waiter *w) noexcept nogil:
    """Unlink ``w`` from the queue (g.mu held)."""
    cdef Waiter *p
    if g.head == w:
        g.head = w.next
        if g.head == NULL:
            g.tail = NULL
    else:
        p = g.head
        while p.next != w:
            p = p.next
        p.next = w.next
        if g.tail == w:
            g.tail = p
    g.waiting -= 1


cdef void _gate_pass_on(Gate *g) noexcept nogil:
    """Hand the held gate to the oldest waiter, or open it (g.mu held)."""
    cdef Waiter *w = g.head
    if w == NULL:
        g.held = False
        return
    g.head = w.next
    if g.head == NULL:
        g.tail = NULL
    g.waiting -= 1
    w.granted = True
    # Signalled under g.mu: the waiter's node (and its condition) lives until it has
    # re-acquired g.mu and seen ``granted``.
    pthread_cond_signal(&w.cond)


cdef bint _gate_enqueue(Gate *g, Waiter *w) noexcept nogil:
    """Take the gate if it is free, else join the queue. True if taken."""
    pthread_mutex_lock(&g.mu)
    if not g.held:
        g.held = True
        pthread_mutex_unlock(&g.mu)
        return True
    pthread_cond_init(&w.cond, &_monotonic_attr)
    w.granted = False
    w.next = NULL
    if g.tail == NULL:
        g.head = w
    else:
        g.tail.next = w
    g.tail = w
    g.waiting += 1
    pthread_mutex_unlock(&g.mu)
    return False


cdef int _gate_sleep(Gate *g, Waiter *w, double deadline, double slice_end) noexcept nogil:
    """Sleep in the queue until granted (1), past ``deadline`` (0: left the queue) or past
    ``slice_end`` (_SLICE: still queued). A bound <= 0 means none."""
    cdef timespec until
    cdef double wake = deadline
    if slice_end > 0 and (wake <= 0 or slice_end < wake):
        wake = slice_end
    if wake > 0:
        _abs_timespec(&until, wake)
    pthread_mutex_lock(&g.mu)
    while not w.granted:
        if wake <= 0:
            pthread_cond_wait(&w.cond, &g.mu)
        elif pthread_cond_timedwait(&w.cond, &g.mu, &until) == ETIMEDOUT and not w.granted:
            if deadline > 0 and _now() >= deadline:
                # Leave the queue; nobody can hand us the gate once we are out of it.
                _gate_dequeue(g, w)
                pthread_mutex_unlock(&g.mu)
                return 0
            pthread_mutex_unlock(&g.mu)
            return _SLICE
    pthread_mutex_unlock(&g.mu)
    return 1


cdef void _gate_abandon(Gate *g, Waiter *w) noexcept nogil:
    """Give up waiting (an exception is pending): leave the queue, or pass on a late grant."""
    pthread_mutex_lock(&g.mu)
    if w.granted:
        _gate_pass_on(g)
    else:
        _gate_dequeue(g, w)
    pthread_mutex_unlock(&g.mu)


cdef int _gate_release(Gate *g) noexcept:
    """Hand the gate to the oldest waiter, or open it. -1 if it was not held (GIL held)."""
    _lock_internal(&g.mu)
    if not g.held:
        pthread_mutex_unlock(&g.mu)
        return -1
    _gate_pass_on(g)
    pthread_mutex_unlock(&g.mu)
    return 0


cdef int _gate_acquire(Gate *g, double timeout) except -1:
    """1 when the caller now owns the gate, 0 on timeout; -1 with a signal handler's exception."""
    cdef Waiter w
    cdef bint taken
    cdef int rc
    cdef double deadline = 0.0
    cdef bint sliced
    if _gate_try(g):
        return 1
    if timeout == 0:
        return 0
    if timeout > 0:
        deadline = _now() + timeout
    sliced = _in_main_thread()
    with nogil:
        taken = _gate_enqueue(g, &w)
    if taken:
        return 1
    while True:
        with nogil:
            rc = _gate_sleep(g, &w, deadline, _now() + _SLICE_SECONDS if sliced else 0.0)
        if rc != _SLICE:
            pthread_cond_destroy(&w.cond)
            return rc
        if PyErr_CheckSignals() < 0:
            with nogil:
                _gate_abandon(g, &w)
            pthread_cond_destroy(&w.cond)
            return -1


# ---------------------------------------------------------------------------------------------

cdef class Mutex:
    """An exclusive lock with FIFO hand-off and an optional timeout.

    ``acquire(timeout=-1.0)`` waits forever, ``0`` only tries, a positive value waits at most
    that many seconds; it returns whether the lock was taken. ``with mutex:`` waits forever.
    As with :class:`threading.Lock`, any thread may release it.
    """

    cdef Gate _gate

    def __cinit__(self):
        _gate_init(&self._gate)

    def __dealloc__(self):
        _gate_destroy(&self._gate)

    def acquire(self, double timeout=-1.0):
        return _gate_acquire(&self._gate, timeout) == 1

    def release(self):
        if _gate_release(&self._gate) < 0:
            raise RuntimeError("release of an unlocked Mutex")

    def __enter__(self):
        _gate_acquire(&self._gate, -1.0)
        return self

    def __exit__(self, exc_type, exc, tb):
        _gate_release(&self._gate)
        return False

    @property
    def locked(self):
        """Whether some thread holds the lock (a snapshot, for diagnostics)."""
        return self._gate.held

    @property
    def waiting(self):
        """How many threads are queued for the lock (a snapshot, for diagnostics and tests)."""
        return self._gate.waiting


# ---------------------------------------------------------------------------------------------

cdef class RWLock


cdef class _ReadGuard:
    cdef RWLock _lock

    def __enter__(self):
        self._lock._acquire_read(-1.0)
        return self._lock

    def __exit__(self, exc_type, exc, tb):
        self._lock._release_read()
        return False


cdef class _WriteGuard:
    cdef RWLock _lock

    def __enter__(self):
        self._lock._acquire_write(-1.0)
        return self._lock

    def __exit__(self, exc_type, exc, tb):
        self._lock._release_write()
        return False


cdef class RWLock:
    """Many readers or one writer, writer-preferring, with optional timeouts.

    A writer that is waiting blocks new readers, so writers are never starved by a steady
    stream of readers (the domain list is read far more often than it is changed). Readers
    that are already inside finish normally. Not re-entrant: a thread holding the read side
    must not take it again while a writer may be waiting.
    """

    cdef pthread_mutex_t _mu
    cdef pthread_cond_t _readers_ok
    cdef pthread_cond_t _writers_ok
    cdef int _readers
    cdef int _writers_waiting
    cdef bint _writer
    cdef _ReadGuard _read_guard
    cdef _WriteGuard _write_guard

    def __cinit__(self):
        pthread_mutex_init(&self._mu, NULL)
        pthread_cond_init(&self._readers_ok, &_monotonic_attr)
        pthread_cond_init(&self._writers_ok, &_monotonic_attr)
        self._readers = 0
        self._writers_waiting = 0
        self._writer = False

    def __init__(self):
        self._read_guard = _ReadGuard.__new__(_ReadGuard)
        self._read_guard._lock = self
        self._write_guard = _WriteGuard.__new__(_WriteGuard)
        self._write_guard._lock = self

    def __dealloc__(self):
        pthread_cond_destroy(&self._readers_ok)
        pthread_cond_destroy(&self._writers_ok)
        pthread_mutex_destroy(&self._mu)

    cdef int _acquire_read(self, double timeout) except -1:
        cdef int rc
        cdef double deadline = 0.0
        cdef bint sliced
        _lock_internal(&self._mu)
        if not self._writer and self._writers_waiting == 0:
            self._readers += 1
            pthread_mutex_unlock(&self._mu)
            return 1
        pthread_mutex_unlock(&self._mu)
        if timeout == 0:
            return 0
        if timeout > 0:
            deadline = _now() + timeout
        sliced = _in_main_thread()
        while True:
            with nogil:
                rc = self._sleep_read(deadline, _now() + _SLICE_SECONDS if sliced else 0.0)
            if rc != _SLICE:
                return rc
            if PyErr_CheckSignals() < 0:
                return -1

    cdef int _sleep_read(self, double deadline, double slice_end) noexcept nogil:
        """Wait to read: 1 in, 0 past ``deadline``, _SLICE past ``slice_end`` (bounds <= 0: none)."""
        cdef timespec until
        cdef double wake = deadline
        if slice_end > 0 and (wake <= 0 or slice_end < wake):
            wake = slice_end
        if wake > 0:
            _abs_timespec(&until, wake)
        pthread_mutex_lock(&self._mu)
        while self._writer or self._writers_waiting > 0:
            if wake <= 0:
                pthread_cond_wait(&self._readers_ok, &self._mu)
            elif pthread_cond_timedwait(&self._readers_ok, &self._mu, &until) == ETIMEDOUT:
                if self._writer or self._writers_waiting > 0:
                    pthread_mutex_unlock(&self._mu)
                    if deadline > 0 and _now() >= deadline:
                        return 0
                    return _SLICE
        self._readers += 1
        pthread_mutex_unlock(&self._mu)
        return 1

    cdef int _release_read(self) except -1:
        _lock_internal(&self._mu)
        if self._readers <= 0:
            pthread_mutex_unlock(&self._mu)
            raise RuntimeError("release_read of an RWLock not held for reading")
        self._readers -= 1
        if self._readers == 0 and self._writers_waiting > 0:
            pthread_cond_signal(&self._writers_ok)
        pthread_mutex_unlock(&self._mu)
        return 0

    cdef int _acquire_write(self, double timeout) except -1:
        cdef int rc
        cdef double deadline = 0.0
        cdef bint sliced
        _lock_internal(&self._mu)
        if not self._writer and self._readers == 0:
            self._writer = True
            pthread_mutex_unlock(&self._mu)
            return 1
        if timeout == 0:
            pthread_mutex_unlock(&self._mu)
            return 0
        # Counted as waiting from here on, so new readers hold back (writer preference).
        self._writers_waiting += 1
        pthread_mutex_unlock(&self._mu)
        if timeout > 0:
            deadline = _now() + timeout
        sliced = _in_main_thread()
        while True:
            with nogil:
                rc = self._sleep_write(deadline, _now() + _SLICE_SECONDS if sliced else 0.0)
            if rc != _SLICE:
                return rc
            if PyErr_CheckSignals() < 0:
                with nogil:
                    pthread_mutex_lock(&self._mu)
                    self._stop_waiting_write()
                    pthread_mutex_unlock(&self._mu)
                return -1

    cdef int _sleep_write(self, double deadline, double slice_end) noexcept nogil:
        """Wait to write (already counted in _writers_waiting): 1 in, 0 past ``deadline``
        (no longer counted), _SLICE past ``slice_end`` (still counted)."""
        cdef timespec until
        cdef double wake = deadline
        if slice_end > 0 and (wake <= 0 or slice_end < wake):
            wake = slice_end
        if wake > 0:
            _abs_timespec(&until, wake)
        pthread_mutex_lock(&self._mu)
        while self._writer or self._readers > 0:
            if wake <= 0:
                pthread_cond_wait(&self._writers_ok, &self._mu)
            elif pthread_cond_timedwait(&self._writers_ok, &self._mu, &until) == ETIMEDOUT:
                if self._writer or self._readers > 0:
                    if deadline > 0 and _now() >= deadline:
                        self._stop_waiting_write()
                        pthread_mutex_unlock(&self._mu)
                        return 0
                    pthread_mutex_unlock(&self._mu)
                    return _SLICE
        self._writers_waiting -= 1
        self._writer = True
        pthread_mutex_unlock(&self._mu)
        return 1

    cdef void _stop_waiting_write(self) noexcept nogil:
        # _mu held. A writer gives up: readers held back only by it may go, and a wake-up it
        # may have swallowed goes to the next writer.
        self._writers_waiting -= 1
        if self._writer or self._readers > 0:
            if self._writers_waiting == 0 and not self._writer:
                pthread_cond_broadcast(&self._readers_ok)
            return
        if self._writers_waiting > 0:
            pthread_cond_signal(&self._writers_ok)
        else:
            pthread_cond_broadcast(&self._readers_ok)

    cdef int _release_write(self) except -1:
        _lock_internal(&self._mu)
        if not self._writer:
            pthread_mutex_unlock(&self._mu)
            raise RuntimeError("release_write of an RWLock not held for writing")
        self._writer = False
        if self._writers_waiting > 0:
            pthread_cond_signal(&self._writers_ok)
        else:
            pthread_cond_broadcast(&self._readers_ok)
        pthread_mutex_unlock(&self._mu)
        return 0

    def acquire_read(self, double timeout=-1.0):
        return self._acquire_read(timeout) == 1

    def release_read(self):
        self._release_read()

    def acquire_write(self, double timeout=-1.0):
        return self._acquire_write(timeout) == 1

    def release_write(self):
        self._release_write()

    def read(self):
        """Context manager holding the read side (waits as long as needed)."""
        return self._read_guard

    def write(self):
        """Context manager holding the write side (waits as long as needed)."""
        return self._write_guard

    @property
    def readers(self):
        """How many readers are inside (a snapshot, for diagnostics and tests)."""
        return self._readers

    @property
    def writer(self):
        """Whether a writer is inside (a snapshot)."""
        return self._writer

    @property
    def writers_waiting(self):
        """How many writers are queued (a snapshot)."""
        return self._writers_waiting


# ---------------------------------------------------------------------------------------------

cdef class JobSlot:
    """libvirt's job condition for one object: at most one named job at a time.

    ``begin(name, timeout)`` waits (queued in arrival order, without the GIL) until the slot
    is free, then records the job's ``name`` and ``started`` time (``time.monotonic()``
    seconds) and returns True; it returns False when ``timeout`` seconds pass first
    (``timeout < 0`` waits forever, ``0`` only tries). ``end()`` frees the slot and hands it
    to the oldest waiter. ``request_abort()`` raises a flag that a long-running job polls
    (libvirt's abortJob); the flag is cleared when the next job begins.
    """

    cdef Gate _gate
    cdef object _name
    cdef double _started
    cdef bint _abort

    def __cinit__(self):
        _gate_init(&self._gate)
        self._name = None
        self._started = 0.0
        self._abort = False

    def __dealloc__(self):
        _gate_destroy(&self._gate)

    def begin(self, str name, double timeout):
        if not _gate_acquire(&self._gate, timeout):
            return False
        self._name = name
        self._started = _now()
        self._abort = False
        return True

    def end(self):
        if not self._gate.held:
            raise RuntimeError("JobSlot.end() without an active job")
        self._name = None
        self._started = 0.0
        self._abort = False
        _gate_release(&self._gate)

    def request_abort(self):
        """Ask the running job to stop; no effect when the slot is idle."""
        if self._gate.held:
            self._abort = True

    @property
    def active(self):
        return self._gate.held

    @property
    def name(self):
        """The running job's name, or None when idle."""
        return self._name

    @property
    def started(self):
        """``time.monotonic()`` at which the running job began (0.0 when idle)."""
        return self._started

    @property
    def abort_requested(self):
        return self._abort

    @property
    def waiting(self):
        """How many callers are queued for the slot (a snapshot)."""
        return self._gate.waiting
