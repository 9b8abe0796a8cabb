"""The public Connection: opening, read-only refusal, lookups, lists, events, lifetime."""

from __future__ import annotations

import asyncio
import threading
import uuid as uuidlib
from pathlib import Path

import pytest

import pyvirt
from pyvirt import DomainEventType, DomainState
from pyvirt.errors import ErrorNumber, NoDomainError, OperationDeniedError, VirtError


def xml(name: str, uuid: str | None = None) -> str:
    u = f"<uuid>{uuid}</uuid>" if uuid else ""
    return f"<domain type='test'><name>{name}</name>{u}<memory>65536</memory><os><type>hvm</type></os></domain>"


@pytest.fixture
def node(tmp_path: Path) -> Path:
    path = tmp_path / "node.xml"
    path.write_text("<node/>")
    return path


@pytest.fixture
def conn(node: Path):
    with pyvirt.open(f"test://{node}") as c:
        yield c


# -- opening and lifetime ------------------------------------------------------------------------


def test_context_manager_closes(node: Path) -> None:
    with pyvirt.open(f"test://{node}") as c:
        assert c.is_alive()
        assert not c.closed
    assert c.closed
    assert not c.is_alive()
    with pytest.raises(VirtError) as info:
        c.list_domains()
    assert info.value.code == ErrorNumber.INVALID_CONN
    c.close()  # idempotent


def test_open_needs_a_path() -> None:
    for uri in ("test://", "test:///"):
        with pytest.raises(VirtError) as info:
            pyvirt.open(uri)
        assert info.value.code == ErrorNumber.INVALID_ARG
        assert "supply a path or use test:///default" in info.value.message


def test_open_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VirtError) as info:
        pyvirt.open(f"test://{tmp_path}/nope.xml")
    assert info.value.code == ErrorNumber.XML_ERROR


def test_default_connections_share_state() -> None:
    a = pyvirt.open("test:///default")
    b = pyvirt.open("test:///default")
    try:
        dom = a.define_domain(xml("shared-one"))
        assert b.lookup_domain("shared-one") == b.lookup_domain_by_uuid(dom.uuid)
        b.lookup_domain("shared-one").undefine()
        with pytest.raises(NoDomainError):
            a.lookup_domain_by_name("shared-one")
    finally:
        a.close()
        b.close()


def test_default_state_resets_when_last_connection_closes() -> None:
    with pyvirt.open("test:///default") as a:
        a.lookup_domain("test").destroy()
        with pyvirt.open("test:///default") as b:
            assert b.lookup_domain("test").state()[0] == DomainState.SHUTOFF
    with pyvirt.open("test:///default") as c:
        assert c.lookup_domain("test").state()[0] == DomainState.RUNNING


def test_file_connections_are_private(node: Path) -> None:
    with pyvirt.open(f"test://{node}") as a, pyvirt.open(f"test://{node}") as b:
        a.define_domain(xml("only-in-a"))
        assert [d.name for d in a.list_domains()] == ["only-in-a"]
        assert b.list_domains() == []


# -- read-only --------------------------------------------------------------------------------------


def test_readonly_refuses_changes_but_reads() -> None:
    with pyvirt.open("test:///default", readonly=True) as ro:
        assert ro.readonly
        dom = ro.lookup_domain("test")
        assert dom.state()[0] in (DomainState.RUNNING, DomainState.SHUTOFF)
        assert "<domain" in dom.xml()
        calls = {
            "virDomainDestroy": dom.destroy,
            "virDomainCreate": dom.start,
            "virDomainSuspend": dom.suspend,
            "virDomainResume": dom.resume,
            "virDomainShutdown": dom.shutdown,
            "virDomainReboot": dom.reboot,
            "virDomainReset": dom.reset,
            "virDomainUndefine": dom.undefine,
            "virDomainSetMemoryFlags": lambda: dom.set_memory(1024),
            "virDomainSetVcpusFlags": lambda: dom.set_vcpus(1),
            "virDomainSetAutostart": lambda: setattr(dom, "autostart", True),
            "virDomainSetMetadata": lambda: dom.set_metadata(1, "t"),
            "virDomainManagedSave": dom.managed_save,
            "virDomainRename": lambda: dom.rename("x"),
            "virDomainDefineXML": lambda: ro.define_domain(xml("x")),
            "virDomainCreateXML": lambda: ro.create_domain(xml("x")),
            "virDomainRestore": lambda: ro.restore("/nonexistent"),
        }
        for api, call in calls.items():
            with pytest.raises(OperationDeniedError) as info:
                call()
            assert info.value.code == ErrorNumber.OPERATION_DENIED
            assert info.value.message == f"operation forbidden: read only access prevents {api}"
        with pytest.raises(OperationDeniedError) as info:
            dom.xml(secure=True)
        assert info.value.message == "operation forbidden: virDomainGetXMLDesc with secure flag"


# -- lookups and lists --------------------------------------------------------------------------------


def test_lookup_forms(conn) -> None:
    u = str(uuidlib.uuid4())
    dom = conn.define_domain(xml("look", u))
    dom.start()
    assert conn.lookup_domain_by_uuid(u.upper()) == dom
    assert conn.lookup_domain_by_uuid(u.replace("-", "")) == dom
    assert conn.lookup_domain_by_uuid(uuidlib.UUID(u).bytes) == dom
    assert conn.lookup_domain(u) == dom
    assert conn.lookup_domain(dom.id) == dom
    assert conn.lookup_domain(str(dom.id)) == dom
    assert conn.lookup_domain("look") == dom
    with pytest.raises(VirtError) as info:
        conn.lookup_domain_by_uuid("xyz")
    assert info.value.code == ErrorNumber.INVALID_ARG
    with pytest.raises(NoDomainError):
        conn.lookup_domain("missing")
    with pytest.raises(VirtError) as info:
        conn.lookup_domain_by_id(-5)
    assert info.value.code == ErrorNumber.INVALID_ARG


def test_numeric_name_falls_back_to_name(conn) -> None:
    dom = conn.define_domain(xml("42"))
    assert conn.lookup_domain("42") == dom


def test_list_filters(conn) -> None:
    a = conn.define_domain(xml("a"))
    b = conn.define_domain(xml("b"))
    t = conn.create_domain(xml("t"))
    a.start()
    a.suspend()
    b.autostart = True

    def names(**kw) -> list[str]:
        return sorted(d.name for d in conn.list_domains(**kw))

    assert names() == ["a", "b", "t"]
    assert names(active=True) == ["a", "t"]
    assert names(active=False) == ["b"]
    assert names(persistent=False) == ["t"]
    assert names(persistent=True, active=True) == ["a"]
    assert names(state="paused") == ["a"]
    assert names(state=["running", "shutoff"]) == ["b", "t"]
    assert names(autostart=True) == ["b"]
    assert names(autostart=False) == ["a", "t"]
    assert names(managed_save=False) == ["a", "b", "t"]
    assert names(has_snapshot=False) == ["a", "b", "t"]
    assert conn.num_of_domains() == 2
    assert conn.num_of_defined_domains() == 1
    assert conn.list_defined_domain_names() == ["b"]
    assert sorted(conn.list_domain_ids()) == sorted([a.id, t.id])
    with pytest.raises(VirtError):
        names(state="sleeping")


# -- host -----------------------------------------------------------------------------------------


def test_host_calls(conn) -> None:
    info = conn.node_info()
    assert info.cpus == info.nodes * info.sockets * info.cores * info.threads
    assert conn.type() == "TEST"
    assert conn.version() > 0 and conn.lib_version() >= 9_000_000
    assert conn.capabilities().startswith("<capabilities>")
    assert "<sysinfo type='smbios'>" in conn.sysinfo()
    assert conn.hostname()
    assert conn.max_vcpus() >= 1
    assert conn.is_secure() and not conn.is_encrypted()


def test_node_file_without_cells_has_no_cell_memory(conn) -> None:
    with pytest.raises(VirtError) as info:
        conn.cells_free_memory(0, 4)
    assert info.value.code == ErrorNumber.INVALID_ARG
    assert "<cells num='0'>" in conn.capabilities()


# -- events -----------------------------------------------------------------------------------


def _collector():
    got: list = []
    cond = threading.Condition()

    def cb(ev) -> None:
        with cond:
            got.append(ev)
            cond.notify_all()

    def wait(n: int) -> list:
        with cond:
            assert cond.wait_for(lambda: len(got) >= n, timeout=5), got
            return list(got)

    return cb, wait


def test_event_callbacks_and_deregistration(conn) -> None:
    cb, wait = _collector()
    cid = conn.register_event(cb)
    dom = conn.define_domain(xml("ev"))
    dom.start()
    dom.destroy()
    events = wait(3)
    assert [(e.domain.name, e.event) for e in events] == [
        ("ev", DomainEventType.DEFINED),
        ("ev", DomainEventType.STARTED),
        ("ev", DomainEventType.STOPPED),
    ]
    assert conn.domain(events[0].domain) == dom
    conn.deregister_event(cid)
    with pytest.raises(VirtError) as info:
        conn.deregister_event(cid)
    assert info.value.code == ErrorNumber.INVALID_ARG


def test_event_for_one_domain(conn) -> None:
    cb, wait = _collector()
    a = conn.define_domain(xml("one"))
    conn.register_event(cb, domain=a)
    conn.define_domain(xml("other"))
    a.start()
    events = wait(1)
    assert [(e.domain.name, e.event) for e in events] == [("one", DomainEventType.STARTED)]


def test_events_seen_by_other_default_connection() -> None:
    with pyvirt.open("test:///default") as watcher, pyvirt.open("test:///default") as actor:
        cb, wait = _collector()
        watcher.register_event(cb)
        actor.define_domain(xml("cross-conn")).undefine()
        events = wait(2)
        assert [e.event for e in events] == [DomainEventType.DEFINED, DomainEventType.UNDEFINED]


def test_callback_may_call_back_into_the_driver(conn) -> None:
    """Events are delivered with no driver lock held: a callback can use the connection."""
    seen: list[str] = []
    done = threading.Event()

    def cb(ev) -> None:
        dom = conn.domain(ev.domain)
        seen.append(dom.state()[0].name)
        if ev.event == DomainEventType.STARTED:
            conn.define_domain(xml("from-callback"))
            done.set()

    conn.register_event(cb)
    conn.define_domain(xml("cb")).start()
    assert done.wait(5)
    assert conn.lookup_domain("from-callback").name == "from-callback"


def test_async_events(conn) -> None:
    async def main() -> list:
        stream = conn.events()
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, lambda: conn.define_domain(xml("aio")).start())
            return [await stream.get(timeout=5), await stream.get(timeout=5)]
        finally:
            await stream.aclose()

    events = asyncio.run(main())
    assert [e.event for e in events] == [DomainEventType.DEFINED, DomainEventType.STARTED]


def test_async_for_stops_when_closed(conn) -> None:
    async def main() -> int:
        count = 0
        async with conn.events() as stream:
            conn.define_domain(xml("aio2"))
            async for _ in stream:
                count += 1
                stream.close()
        return count

    assert asyncio.run(main()) == 1


def test_close_drops_callbacks(node: Path) -> None:
    c = pyvirt.open("test:///default")
    other = pyvirt.open("test:///default")
    try:
        cb, _ = _collector()
        c.register_event(cb)
        c.close()
        state = other.driver.state  # type: ignore[attr-defined]
        assert state.events.callback_count == 0
    finally:
        other.close()


def test_closing_the_connection_ends_async_streams(node: Path) -> None:
    conn = pyvirt.open(f"test://{node}")

    async def main() -> list:
        seen = []
        stream = conn.events()
        loop = asyncio.get_running_loop()
        conn.define_domain(xml("before-close"))
        loop.call_later(0.2, conn.close)
        async for ev in stream:
            seen.append(ev.domain.name)
        return seen

    assert asyncio.run(asyncio.wait_for(main(), 5)) == ["before-close"]
