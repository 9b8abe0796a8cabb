"""Enums against libvirt's numbers; DomainObject (definitions, jobs); DomainList (indexes, locking)."""

from __future__ import annotations

import enum
import threading
import time
import uuid as uuidlib
from typing import Any

import pytest

from pyvirt import enums
from pyvirt.errors import ErrorDomain, ErrorNumber, OperationTimeoutError, VirtError
from pyvirt.objects import DomainList, DomainObject

JOIN = 10.0


class StandInDef:
    """The part of DomainDef the object layer uses (name, uuid, copy), without the XML layer.

    The object layer is specified to touch a definition only through these three, so its
    tests do not depend on the XML models (the stress test exercises the real ones).
    """

    def __init__(self, name: str, uuid: str, memory: int) -> None:
        self.name = name
        self.uuid = uuid
        self.memory = memory

    def copy(self) -> StandInDef:
        return StandInDef(self.name, self.uuid, self.memory)


def make_def(name: str, uuid: str | None = None, memory: int = 1024) -> Any:
    return StandInDef(name, uuid or str(uuidlib.uuid4()), memory)


def make_obj(name: str, **kw: object) -> DomainObject:
    return DomainObject(make_def(name), **kw)


# -- enums -------------------------------------------------------------------------------------

try:
    import libvirt
except ImportError:  # the oracle is optional: only the enum comparisons need it
    libvirt = None
needs_libvirt = pytest.mark.skipif(
    libvirt is None, reason="libvirt-python (the oracle) is not installed"
)
_LIBVIRT_CONSTANTS = {
    k: v for k, v in vars(libvirt or object).items() if k.startswith("VIR_") and isinstance(v, int)
}
_ENUMS = [
    obj
    for obj in vars(enums).values()
    if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj.__module__ == enums.__name__
]


@needs_libvirt
@pytest.mark.parametrize("cls", _ENUMS, ids=lambda c: c.__name__)
def test_enum_matches_libvirt_python(cls: type[enum.Enum]) -> None:
    """Some libvirt prefix P makes every member NAME equal to libvirt's P+NAME, value for value."""
    members = dict(cls.__members__)
    # libvirt spells a few of DomainCreateFlags' names with START_; our short aliases are extra
    names = [
        n
        for n in members
        if not (cls is enums.DomainCreateFlags and not n.startswith(("START_", "NONE")))
    ]
    first = names[0]
    prefixes = {k[: -len(first)] for k in _LIBVIRT_CONSTANTS if k.endswith("_" + first)}
    matching = [
        p
        for p in prefixes
        if all(_LIBVIRT_CONSTANTS.get(p + n.lstrip("_")) == int(members[n]) for n in names)
    ]
    assert matching, f"{cls.__name__}: no libvirt prefix matches every member"


@needs_libvirt
def test_enum_spot_names() -> None:
    assert enums.DomainSnapshotCreateFlags.REDEFINE == libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE
    assert enums.DomainState.PMSUSPENDED == libvirt.VIR_DOMAIN_PMSUSPENDED
    assert (
        enums.DomainEventStartedDetail.FROM_SNAPSHOT
        == libvirt.VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT
    )
    assert enums.DomainModificationImpact.CONFIG == libvirt.VIR_DOMAIN_AFFECT_CONFIG
    assert enums.DomainCreateFlags.PAUSED == enums.DomainCreateFlags.START_PAUSED
    # unknown flag bits survive, so drivers can reject them with libvirt's error
    assert int(enums.DomainXMLFlags(1 << 20)) == 1 << 20


# -- DomainObject ------------------------------------------------------------------------------


def test_new_object_is_inactive() -> None:
    obj = make_obj("a")
    assert obj.id == -1 and not obj.is_active()
    assert obj.state is enums.DomainState.SHUTOFF
    assert obj.new_definition is None and obj.snapshots is None
    assert obj.name == "a" and obj.uuid == obj.definition.uuid
    assert obj.persistent_definition() is obj.definition
    ref = obj.ref()
    assert (ref.name, ref.uuid, ref.id) == ("a", obj.uuid, -1)


def test_live_and_persistent_definitions() -> None:
    obj = make_obj("a", persistent=True)
    config = obj.definition
    obj.prepare_live_change()
    obj.id = 3
    obj.set_state(enums.DomainState.RUNNING, enums.DomainRunningReason.BOOTED)
    assert obj.is_active()
    assert obj.new_definition is not None and obj.new_definition is not obj.definition
    assert obj.persistent_definition() is obj.new_definition
    live = obj.definition
    obj.prepare_live_change()  # already split: unchanged
    assert obj.definition is live
    # a config-only define replaces new_definition; the live one keeps running
    newer = make_def("a", obj.uuid, memory=4096)
    obj.new_definition = newer
    obj.finish_stop()
    assert obj.definition is newer and obj.new_definition is None
    assert obj.id == -1 and not obj.is_active()
    assert config is not newer


def test_live_change_with_the_real_domain_def() -> None:
    """prepare_live_change() copies a real DomainDef: later live edits leave the config alone."""
    from pyvirt.conf import DomainDef

    definition = DomainDef.from_xml(
        "<domain type='test'><name>real</name><memory>1024</memory><os><type>hvm</type></os></domain>"
    )
    obj = DomainObject(definition, persistent=True)
    obj.prepare_live_change()
    config = obj.new_definition
    assert obj.definition is definition  # what runs stays; the config is a copy of it
    assert config is not None and config is not definition
    assert config.uuid == definition.uuid and config.name == "real"
    obj.definition.name = "changed-live"
    assert config.name == "real"
    obj.finish_stop()
    assert obj.definition is config and obj.name == "real"


def test_transient_object_never_splits() -> None:
    obj = make_obj("t", persistent=False)
    obj.prepare_live_change()
    assert obj.new_definition is None
    obj.id = 1
    live = obj.definition
    obj.finish_stop()
    assert obj.definition is live and obj.id == -1


def test_job_timeout_is_libvirts_error() -> None:
    obj = make_obj("a")
    with obj.job("start"):
        assert obj.job_active and obj.job_name == "start"
        with pytest.raises(OperationTimeoutError) as info:
            with obj.job("destroy", timeout=0.05):
                pass
    err = info.value
    assert isinstance(err, VirtError)
    assert err.code == ErrorNumber.OPERATION_TIMEOUT == 68
    assert err.domain == ErrorDomain.NONE
    assert err.message == (
        "Timed out during operation: cannot acquire state change lock (held by job=start)"
    )
    assert not obj.job_active


def test_job_body_runs_without_the_object_lock_and_ends_on_error() -> None:
    obj = make_obj("a")
    with pytest.raises(KeyError):
        with obj.job("modify"):
            assert obj.lock.acquire(0)  # the job does not hold the mutex
            obj.lock.release()
            raise KeyError("boom")
    assert not obj.job_active
    with obj.job("again", timeout=0):
        pass


def test_queued_jobs_run_one_after_another() -> None:
    obj = make_obj("a")
    order: list[str] = []
    inside = {"now": 0, "max": 0}

    def run(name: str) -> None:
        with obj.job(name, timeout=JOIN):
            inside["now"] += 1
            inside["max"] = max(inside["max"], inside["now"])
            order.append(name)
            time.sleep(0.001)
            inside["now"] -= 1

    obj.job_slot.begin("holder", -1)
    threads = []
    for i in range(4):
        t = threading.Thread(target=run, args=(f"j{i}",), daemon=True)
        t.start()
        threads.append(t)
        deadline = time.monotonic() + JOIN
        while obj.job_slot.waiting != i + 1:
            assert time.monotonic() < deadline
            time.sleep(0.001)
    obj.job_slot.end()
    for t in threads:
        t.join(JOIN)
    assert order == ["j0", "j1", "j2", "j3"]
    assert inside["max"] == 1


# -- DomainList --------------------------------------------------------------------------------


def test_list_indexes() -> None:
    dl = DomainList()
    a, b = make_obj("a"), make_obj("b")
    dl.add(a)
    dl.add(b)
    assert len(dl) == 2 and dl.count() == 2
    assert dl.by_name("a") is a and dl.by_name("zz") is None
    assert dl.by_uuid(b.uuid) is b
    assert dl.by_uuid(b.uuid.upper().replace("-", "")) is b
    assert dl.by_id(1) is None and dl.by_id(-1) is None
    a.id = dl.allocate_id()
    assert dl.by_id(a.id) is a
    assert dl.count(active=True) == 1 and dl.count(active=False) == 1
    a.finish_stop()
    assert dl.by_id(1) is None and dl.count(active=True) == 0
    snapshot = dl.all()
    dl.remove(a)
    assert set(snapshot) == {a, b}  # the copy is not affected
    assert dl.all() == [b] and dl.by_name("a") is None and dl.by_uuid(a.uuid) is None
    assert a not in dl and b in dl
    dl.remove(a)  # no-op


def test_list_refuses_duplicates() -> None:
    dl = DomainList()
    a = make_obj("a")
    dl.add(a)
    with pytest.raises(VirtError) as info:
        dl.add(make_obj("a"))
    assert info.value.code == ErrorNumber.OPERATION_FAILED
    assert "domain 'a' already exists with uuid" in info.value.message
    with pytest.raises(VirtError):
        dl.add(DomainObject(make_def("other", a.uuid)))
    assert len(dl) == 1


def test_list_rename() -> None:
    dl = DomainList()
    a, b = make_obj("a", persistent=True), make_obj("b")
    dl.add(a)
    dl.add(b)
    a.prepare_live_change()
    dl.rename(a, "c")
    assert dl.by_name("c") is a and dl.by_name("a") is None
    assert (
        a.definition.name == "c" and a.new_definition is not None and a.new_definition.name == "c"
    )
    with pytest.raises(VirtError) as info:
        dl.rename(a, "b")
    assert info.value.code == ErrorNumber.OPERATION_INVALID
    dl.remove(a)
    assert dl.by_name("c") is None and len(dl) == 1


def test_allocate_id_is_unique_across_threads() -> None:
    dl = DomainList(first_id=5)
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [dl.allocate_id() for _ in range(500)]
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN)
    assert sorted(got) == list(range(5, 5 + 2000))


def test_lookups_never_wait_for_a_domain_job_or_lock() -> None:
    """A thread holds a job (and then the mutex) for up to 1 s; lookups finish while it holds it."""
    dl = DomainList()
    objs = [make_obj(f"d{i}") for i in range(50)]
    for o in objs:
        dl.add(o)
    target = objs[7]
    job_started = threading.Event()
    lookups_done = threading.Event()
    seen: dict[str, bool] = {}

    def long_job() -> None:
        with target.job("start"):
            target.id = dl.allocate_id()  # an id change inside a job takes the list's write lock
            with target.lock:
                job_started.set()
                lookups_done.wait(1.0)
                # recorded before the job and the mutex are released
                seen["lookups_done_while_job_held"] = lookups_done.is_set()

    def lookups() -> None:
        job_started.wait(JOIN)
        for _ in range(200):
            assert dl.by_name("d7") is target
            assert dl.by_uuid(target.uuid) is target
            assert dl.by_id(target.id) is target
            assert len(dl.all()) == 50
            assert dl.count(active=True) == 1
        seen["job_active_after_lookups"] = target.job_active
        lookups_done.set()

    jt = threading.Thread(target=long_job, daemon=True)
    lt = threading.Thread(target=lookups, daemon=True)
    jt.start()
    lt.start()
    jt.join(JOIN)
    lt.join(JOIN)
    assert not jt.is_alive() and not lt.is_alive()
    assert seen == {"lookups_done_while_job_held": True, "job_active_after_lookups": True}


def test_list_concurrent_add_remove_lookup() -> None:
    dl = DomainList()
    errors: list[BaseException] = []
    stop = threading.Event()

    def churn(k: int) -> None:
        try:
            for i in range(150):
                o = make_obj(f"c{k}-{i}")
                dl.add(o)
                o.id = dl.allocate_id()
                assert dl.by_name(o.name) is o
                o.finish_stop()
                if i % 2:
                    dl.remove(o)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                for o in dl.all():
                    dl.by_uuid(o.uuid)
                dl.count(active=True)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    writers = [threading.Thread(target=churn, args=(k,), daemon=True) for k in range(3)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join(JOIN)
    stop.set()
    for t in readers:
        t.join(JOIN)
    assert not errors
    assert not any(t.is_alive() for t in readers + writers)
    assert len(dl) == 3 * 75
    assert dl.count(active=True) == 0
    assert all(dl.by_name(o.name) is o for o in dl.all())
