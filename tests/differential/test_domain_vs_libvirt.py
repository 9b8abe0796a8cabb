"""pyvirt's test driver against libvirt's, call for call, on the same sequences.

Each scenario is a list of steps run twice: once through pyvirt's public API, once through
libvirt-python, each on its own fresh ``test:///PATH.xml`` connection (private state, so the
scenarios do not see each other). After every step the outcome is recorded: the value, or the
error's code and message; then the domain's state, reason, id, persistence and both XML views.
The two records must be equal. Nothing here is an answer copied from libvirt: the oracle runs
live.
"""

from __future__ import annotations

import difflib
import re
import threading
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pyvirt

libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
libvirt.registerErrorHandler(lambda *args: None, None)


def domain_xml(name: str, *, memory: int = 1048576, vcpus: str = "<vcpu placement='static' current='2'>4</vcpu>", extra: str = "") -> str:
    uuid = uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"pyvirt-differential/{name}")
    return (
        f"<domain type='test'><name>{name}</name><uuid>{uuid}</uuid>"
        f"<memory unit='KiB'>{memory}</memory>{vcpus}"
        f"<os><type>hvm</type></os>{extra}"
        "<devices><interface type='network'><mac address='52:54:00:00:00:01'/>"
        "<source network='default'/></interface></devices>"
        "</domain>"
    )


A = domain_xml("alpha")
A_MORE = domain_xml("alpha", memory=2097152)
B = domain_xml("beta", vcpus="<vcpu>2</vcpu>")
OTHER_UUID_A = re.sub("<uuid>[^<]*</uuid>", "<uuid>11111111-2222-3333-4444-555555555555</uuid>", A)
POWEROFF_RESTART = domain_xml("gamma", extra="<on_poweroff>restart</on_poweroff><on_reboot>destroy</on_reboot>")


class Side:
    """One implementation behind a common vocabulary of steps."""

    def __init__(self, node: Path) -> None:
        self.node = node


class PyvirtSide(Side):
    error = pyvirt.VirtError

    def __init__(self, node: Path) -> None:
        super().__init__(node)
        self.c = pyvirt.open(f"test://{node}")

    def close(self) -> None:
        self.c.close()

    def dom(self, name: str) -> Any:
        return self.c.lookup_domain_by_name(name)

    def define(self, xml: str) -> str:
        return self.c.define_domain(xml).name

    def create(self, xml: str, flags: int = 0) -> str:
        return self.c.create_domain(xml, paused=bool(flags & 1)).name

    def call(self, name: str, op: str, *args: Any) -> Any:
        d = self.dom(name)
        if op == "start":
            return d.start(*args)
        if op == "set_memory":
            kib, flags = args
            if flags & 4:
                return d.set_max_memory(kib, live=bool(flags & 1), config=bool(flags & 2))
            return d.set_memory(kib, live=bool(flags & 1), config=bool(flags & 2))
        if op == "set_vcpus":
            n, flags = args
            return d.set_vcpus(n, live=bool(flags & 1), config=bool(flags & 2), maximum=bool(flags & 4))
        if op == "vcpus":
            (flags,) = args
            return d.vcpus(live=bool(flags & 1), config=bool(flags & 2), maximum=bool(flags & 4))
        if op == "undefine":
            (flags,) = args
            return d.undefine(managed_save=bool(flags & 1), snapshots_metadata=bool(flags & 2), nvram=bool(flags & 4))
        if op == "get_metadata":
            t, uri, flags = args
            return d.metadata(t, uri, live=bool(flags & 1), config=bool(flags & 2))
        if op == "set_metadata":
            t, value, key, uri, flags = args
            return d.set_metadata(t, value, key, uri, live=bool(flags & 1), config=bool(flags & 2))
        if op == "autostart":
            return d.autostart
        if op == "set_autostart":
            d.autostart = args[0]
            return None
        if op == "info":
            i = d.info()
            return (int(i.state), i.max_memory, i.memory, i.vcpus)
        if op == "has_managed_save":
            return d.has_managed_save
        if op == "save":
            return d.save(*args)
        return getattr(d, op)(*args)

    def restore(self, path: str) -> None:
        self.c.restore(path)

    def lookup(self, how: str, key: Any) -> str:
        fn = {"name": self.c.lookup_domain_by_name, "uuid": self.c.lookup_domain_by_uuid, "id": self.c.lookup_domain_by_id}[how]
        return fn(key).name

    def snapshot(self, name: str) -> dict[str, Any]:
        d = self.dom(name)
        state, reason = d.state()
        return {
            "state": (int(state), int(reason)),
            "id": d.id,
            "persistent": d.is_persistent(),
            "active": d.is_active(),
            "xml": d.xml(),
            "inactive": d.xml(inactive=True),
            "managed": d.has_managed_save,
        }

    def names(self, flags: int = 0) -> list[str]:
        return sorted(d.name for d in self.c.list_domains(flags=flags))

    @staticmethod
    def describe(exc: Any) -> tuple[int, str]:
        return int(exc.code), exc.message


class LibvirtSide(Side):
    error = libvirt.libvirtError

    def __init__(self, node: Path) -> None:
        super().__init__(node)
        self.c = libvirt.open(f"test://{node}")

    def close(self) -> None:
        self.c.close()

    def dom(self, name: str) -> Any:
        return self.c.lookupByName(name)

    def define(self, xml: str) -> str:
        return self.c.defineXML(xml).name()

    def create(self, xml: str, flags: int = 0) -> str:
        return self.c.createXML(xml, flags).name()

    def call(self, name: str, op: str, *args: Any) -> Any:
        d = self.dom(name)
        simple = {
            "start": lambda: d.createWithFlags(1 if args and args[0] else 0),
            "destroy": d.destroy,
            "shutdown": d.shutdown,
            "reboot": lambda: d.reboot(0),
            "reset": lambda: d.reset(0),
            "suspend": d.suspend,
            "resume": d.resume,
            "managed_save": lambda: d.managedSave(0),
            "managed_save_remove": lambda: d.managedSaveRemove(0),
            "has_managed_save": lambda: bool(d.hasManagedSaveImage(0)),
            "rename": lambda: d.rename(args[0], 0),
            "autostart": lambda: bool(d.autostart()),
            "set_autostart": lambda: d.setAutostart(1 if args[0] else 0),
            "set_memory": lambda: d.setMemoryFlags(*args),
            "set_vcpus": lambda: d.setVcpusFlags(*args),
            "vcpus": lambda: d.vcpusFlags(*args),
            "undefine": lambda: d.undefineFlags(*args),
            "get_metadata": lambda: d.metadata(*args),
            "set_metadata": lambda: d.setMetadata(*args),
            "info": lambda: tuple(d.info()[:4]),
            "save": lambda: d.save(*args),
            "max_memory": d.maxMemory,
        }
        result = simple[op]()
        if op in {"start", "destroy", "shutdown", "reboot", "reset", "suspend", "resume", "managed_save",
                  "managed_save_remove", "rename", "set_autostart", "set_memory", "set_vcpus", "undefine",
                  "set_metadata", "save"}:  # fmt: skip
            return None
        return result

    def restore(self, path: str) -> None:
        self.c.restore(path)

    def lookup(self, how: str, key: Any) -> str:
        fn = {"name": self.c.lookupByName, "uuid": self.c.lookupByUUIDString, "id": self.c.lookupByID}[how]
        return fn(key).name()

    def snapshot(self, name: str) -> dict[str, Any]:
        d = self.dom(name)
        return {
            "state": tuple(d.state()),
            "id": d.ID(),
            "persistent": bool(d.isPersistent()),
            "active": bool(d.isActive()),
            "xml": d.XMLDesc(0),
            "inactive": d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE),
            "managed": bool(d.hasManagedSaveImage(0)),
        }

    def names(self, flags: int = 0) -> list[str]:
        return sorted(d.name() for d in self.c.listAllDomains(flags))

    @staticmethod
    def describe(exc: Any) -> tuple[int, str]:
        return exc.get_error_code(), exc.get_error_message()


Step = Callable[[Side], Any]


def run(side: Side, steps: list[tuple[str, Step]], watch: list[str]) -> list[tuple[str, Any, dict[str, Any]]]:
    record = []
    for label, step in steps:
        try:
            outcome: Any = ("ok", step(side))
        except side.error as exc:  # type: ignore[misc]
            outcome = ("error", *side.describe(exc))
        views = {}
        for name in watch:
            try:
                views[name] = side.snapshot(name)
            except side.error:  # type: ignore[misc]
                views[name] = "absent"
        views["*names"] = side.names()
        record.append((label, outcome, views))
    return record


def compare(tmp_path: Path, steps: list[tuple[str, Step]], watch: list[str], uuid_free: bool = False) -> None:
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    ours, theirs = PyvirtSide(node), LibvirtSide(node)
    try:
        got = run(ours, steps, watch)
        want = run(theirs, steps, watch)
    finally:
        ours.close()
        theirs.close()
    for (label, g_out, g_views), (_, w_out, w_views) in zip(got, want, strict=True):
        assert g_out == w_out, f"step {label!r}: outcome differs"
        assert g_views == w_views, f"step {label!r}: domain views differ:\n{_explain(g_views, w_views)}"


def _explain(got: dict[str, Any], want: dict[str, Any]) -> str:
    lines = []
    for key in sorted(set(got) | set(want)):
        g, w = got.get(key), want.get(key)
        if g == w:
            continue
        if isinstance(g, dict) and isinstance(w, dict):
            for field in sorted(set(g) | set(w)):
                if g.get(field) != w.get(field):
                    a, b = str(g.get(field)), str(w.get(field))
                    diff = difflib.unified_diff(b.splitlines(), a.splitlines(), "libvirt", "pyvirt", lineterm="")
                    lines.append(f"{key}.{field}:\n" + "\n".join(diff))
        else:
            lines.append(f"{key}: pyvirt={g!r} libvirt={w!r}")
    return "\n".join(lines)


def S(label: str, fn: Step) -> tuple[str, Step]:
    return (label, fn)


# -- scenarios -------------------------------------------------------------------------------------


def test_lifecycle_transitions(tmp_path: Path) -> None:
    steps = [
        S("define", lambda s: s.define(A)),
        S("resume shut off", lambda s: s.call("alpha", "resume")),
        S("suspend shut off", lambda s: s.call("alpha", "suspend")),
        S("destroy shut off", lambda s: s.call("alpha", "destroy")),
        S("shutdown shut off", lambda s: s.call("alpha", "shutdown")),
        S("reboot shut off", lambda s: s.call("alpha", "reboot")),
        S("reset shut off", lambda s: s.call("alpha", "reset")),
        S("start", lambda s: s.call("alpha", "start")),
        S("start again", lambda s: s.call("alpha", "start")),
        S("suspend", lambda s: s.call("alpha", "suspend")),
        S("suspend again", lambda s: s.call("alpha", "suspend")),
        S("start paused domain", lambda s: s.call("alpha", "start")),
        S("resume", lambda s: s.call("alpha", "resume")),
        S("resume running", lambda s: s.call("alpha", "resume")),
        S("reboot", lambda s: s.call("alpha", "reboot")),
        S("reset", lambda s: s.call("alpha", "reset")),
        S("shutdown", lambda s: s.call("alpha", "shutdown")),
        S("start paused flag", lambda s: s.call("alpha", "start", True)),
        S("start 2", lambda s: s.call("alpha", "start")),
        S("destroy", lambda s: s.call("alpha", "destroy")),
        S("info", lambda s: s.call("alpha", "info")),
        S("undefine", lambda s: s.call("alpha", "undefine", 0)),
        S("lookup gone", lambda s: s.lookup("name", "alpha")),
    ]
    compare(tmp_path, steps, ["alpha"])


def test_ids_and_lookups(tmp_path: Path) -> None:
    steps = [
        S("define a", lambda s: s.define(A)),
        S("define b", lambda s: s.define(B)),
        S("start b", lambda s: s.call("beta", "start")),
        S("start a", lambda s: s.call("alpha", "start")),
        S("lookup id 1", lambda s: s.lookup("id", 1)),
        S("lookup id 2", lambda s: s.lookup("id", 2)),
        S("lookup id 9", lambda s: s.lookup("id", 9)),
        S("lookup id -1", lambda s: s.lookup("id", -1)),
        S("destroy b", lambda s: s.call("beta", "destroy")),
        S("start b again", lambda s: s.call("beta", "start")),
        S("lookup id 3", lambda s: s.lookup("id", 3)),
        S("lookup bad uuid", lambda s: s.lookup("uuid", "not-a-uuid")),
        S("lookup unknown uuid", lambda s: s.lookup("uuid", "00000000-0000-0000-0000-000000000001")),
        S("active names", lambda s: s.names(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)),
        S("shutoff names", lambda s: s.names(libvirt.VIR_CONNECT_LIST_DOMAINS_SHUTOFF)),
    ]
    compare(tmp_path, steps, ["alpha", "beta"])


def test_transient_domains(tmp_path: Path) -> None:
    steps = [
        S("create", lambda s: s.create(A)),
        S("create same again", lambda s: s.create(A)),
        S("transient names", lambda s: s.names(libvirt.VIR_CONNECT_LIST_DOMAINS_TRANSIENT)),
        S("suspend", lambda s: s.call("alpha", "suspend")),
        S("managed save transient", lambda s: s.call("alpha", "managed_save")),
        S("rename transient", lambda s: s.call("alpha", "rename", "x")),
        S("set config memory", lambda s: s.call("alpha", "set_memory", 1000, 2)),
        S("define makes it persistent", lambda s: s.define(A_MORE)),
        S("destroy", lambda s: s.call("alpha", "destroy")),
        S("undefine", lambda s: s.call("alpha", "undefine", 0)),
        S("create again", lambda s: s.create(A)),
        S("undefine running transient", lambda s: s.call("alpha", "undefine", 0)),
        S("shutdown transient", lambda s: s.call("alpha", "shutdown")),
        S("create paused (unsupported)", lambda s: s.create(B, 1)),
    ]
    compare(tmp_path, steps, ["alpha", "beta"])


def test_live_and_config_definitions(tmp_path: Path) -> None:
    steps = [
        S("define", lambda s: s.define(A)),
        S("start", lambda s: s.call("alpha", "start")),
        S("define new config while running", lambda s: s.define(A_MORE)),
        S("define same name other uuid", lambda s: s.define(OTHER_UUID_A)),
        S("live memory", lambda s: s.call("alpha", "set_memory", 524288, 1)),
        S("config memory", lambda s: s.call("alpha", "set_memory", 786432, 2)),
        S("current memory", lambda s: s.call("alpha", "set_memory", 600000, 0)),
        S("both memory", lambda s: s.call("alpha", "set_memory", 600000, 3)),
        S("memory over max", lambda s: s.call("alpha", "set_memory", 99999999, 0)),
        S("max memory live", lambda s: s.call("alpha", "set_memory", 4194304, 5)),
        S("max memory config", lambda s: s.call("alpha", "set_memory", 4194304, 6)),
        S("max memory config lower", lambda s: s.call("alpha", "set_memory", 262144, 6)),
        S("vcpus live", lambda s: s.call("alpha", "set_vcpus", 3, 1)),
        S("vcpus live too many", lambda s: s.call("alpha", "set_vcpus", 5, 1)),
        S("vcpus over host max", lambda s: s.call("alpha", "set_vcpus", 64, 1)),
        S("vcpus config", lambda s: s.call("alpha", "set_vcpus", 1, 2)),
        S("vcpus config max", lambda s: s.call("alpha", "set_vcpus", 8, 6)),
        S("vcpus config max lower", lambda s: s.call("alpha", "set_vcpus", 1, 6)),
        S("get vcpus live", lambda s: s.call("alpha", "vcpus", 1)),
        S("get vcpus config", lambda s: s.call("alpha", "vcpus", 2)),
        S("get vcpus max", lambda s: s.call("alpha", "vcpus", 4)),
        S("info", lambda s: s.call("alpha", "info")),
        S("destroy: config applies", lambda s: s.call("alpha", "destroy")),
        S("live memory when off", lambda s: s.call("alpha", "set_memory", 1000, 1)),
        S("current vcpus when off", lambda s: s.call("alpha", "set_vcpus", 2, 0)),
        S("info off", lambda s: s.call("alpha", "info")),
    ]
    compare(tmp_path, steps, ["alpha"])


def test_undefine_rules_and_managed_save(tmp_path: Path) -> None:
    steps = [
        S("define", lambda s: s.define(A)),
        S("managed save off", lambda s: s.call("alpha", "managed_save")),
        S("start", lambda s: s.call("alpha", "start")),
        S("managed save", lambda s: s.call("alpha", "managed_save")),
        S("has managed save", lambda s: s.call("alpha", "has_managed_save")),
        S("listed with managed save", lambda s: s.names(libvirt.VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)),
        S("undefine refused", lambda s: s.call("alpha", "undefine", 0)),
        S("undefine nvram flag", lambda s: s.call("alpha", "undefine", 4)),
        S("start from managed save", lambda s: s.call("alpha", "start")),
        S("managed save again", lambda s: s.call("alpha", "managed_save")),
        S("remove managed save", lambda s: s.call("alpha", "managed_save_remove")),
        S("undefine running turns transient", lambda s: s.call("alpha", "start")),
        S("undefine", lambda s: s.call("alpha", "undefine", 0)),
        S("destroy removes it", lambda s: s.call("alpha", "destroy")),
        S("define b", lambda s: s.define(B)),
        S("start b", lambda s: s.call("beta", "start")),
        S("managed save b", lambda s: s.call("beta", "managed_save")),
        S("undefine with managed save flag", lambda s: s.call("beta", "undefine", 1)),
    ]
    compare(tmp_path, steps, ["alpha", "beta"])


def test_power_actions(tmp_path: Path) -> None:
    steps = [
        S("define", lambda s: s.define(POWEROFF_RESTART)),
        S("start", lambda s: s.call("gamma", "start")),
        S("shutdown restarts", lambda s: s.call("gamma", "shutdown")),
        S("reboot destroys", lambda s: s.call("gamma", "reboot")),
    ]
    compare(tmp_path, steps, ["gamma"])


def test_rename_and_autostart(tmp_path: Path) -> None:
    steps = [
        S("define a", lambda s: s.define(A)),
        S("define b", lambda s: s.define(B)),
        S("rename to taken", lambda s: s.call("alpha", "rename", "beta")),
        S("rename to itself", lambda s: s.call("alpha", "rename", "alpha")),
        S("rename with slash", lambda s: s.call("alpha", "rename", "a/b")),
        S("rename", lambda s: s.call("alpha", "rename", "delta")),
        S("lookup old", lambda s: s.lookup("name", "alpha")),
        S("start", lambda s: s.call("delta", "start")),
        S("rename running", lambda s: s.call("delta", "rename", "eps")),
        S("autostart", lambda s: s.call("delta", "autostart")),
        S("set autostart", lambda s: s.call("delta", "set_autostart", True)),
        S("autostart now", lambda s: s.call("delta", "autostart")),
        S("autostart list", lambda s: s.names(libvirt.VIR_CONNECT_LIST_DOMAINS_AUTOSTART)),
    ]
    compare(tmp_path, steps, ["alpha", "delta", "beta"])


def test_metadata(tmp_path: Path) -> None:
    T, D, E = 1, 0, 2
    uri = "http://example.org/ns/1"
    steps = [
        S("define", lambda s: s.define(A)),
        S("no title", lambda s: s.call("alpha", "get_metadata", T, None, 0)),
        S("set title", lambda s: s.call("alpha", "set_metadata", T, "My title", None, None, 0)),
        S("get title", lambda s: s.call("alpha", "get_metadata", T, None, 0)),
        S("set description", lambda s: s.call("alpha", "set_metadata", D, "Some words", None, None, 0)),
        S("get description", lambda s: s.call("alpha", "get_metadata", D, None, 0)),
        S("set element", lambda s: s.call("alpha", "set_metadata", E, "<foo a='1'><bar>x</bar></foo>", "ex", uri, 0)),
        S("get element", lambda s: s.call("alpha", "get_metadata", E, uri, 0)),
        S("title with newline", lambda s: s.call("alpha", "set_metadata", T, "a\nb", None, None, 0)),
        S("title with key", lambda s: s.call("alpha", "set_metadata", T, "t", "k", None, 0)),
        S("element without key", lambda s: s.call("alpha", "set_metadata", E, "<a/>", None, uri, 0)),
        S("element without uri", lambda s: s.call("alpha", "get_metadata", E, None, 0)),
        S("title with uri", lambda s: s.call("alpha", "get_metadata", T, uri, 0)),
        S("unknown type", lambda s: s.call("alpha", "get_metadata", 7, None, 0)),
        S("get other ns", lambda s: s.call("alpha", "get_metadata", E, "http://other/", 0)),
        S("replace element", lambda s: s.call("alpha", "set_metadata", E, "<baz/>", "ex2", uri, 0)),
        S("get replaced", lambda s: s.call("alpha", "get_metadata", E, uri, 0)),
        S("start", lambda s: s.call("alpha", "start")),
        S("live title", lambda s: s.call("alpha", "set_metadata", T, "live", None, None, 1)),
        S("config title", lambda s: s.call("alpha", "set_metadata", T, "config", None, None, 2)),
        S("get live title", lambda s: s.call("alpha", "get_metadata", T, None, 1)),
        S("get config title", lambda s: s.call("alpha", "get_metadata", T, None, 2)),
        S("remove element", lambda s: s.call("alpha", "set_metadata", E, None, None, uri, 3)),
        S("remove title", lambda s: s.call("alpha", "set_metadata", T, None, None, None, 3)),
        S("destroy", lambda s: s.call("alpha", "destroy")),
    ]
    compare(tmp_path, steps, ["alpha"])


def test_save_and_restore(tmp_path: Path) -> None:
    ours_img = tmp_path / "ours.img"
    theirs_img = tmp_path / "theirs.img"

    def img(s: Side) -> str:
        return str(ours_img if isinstance(s, PyvirtSide) else theirs_img)

    steps = [
        S("define", lambda s: s.define(A)),
        S("save shut off", lambda s: s.call("alpha", "save", img(s))),
        S("start", lambda s: s.call("alpha", "start")),
        S("save", lambda s: s.call("alpha", "save", img(s))),
        S("restore", lambda s: s.restore(img(s))),
        S("restore while running", lambda s: s.restore(img(s))),
        S("destroy", lambda s: s.call("alpha", "destroy")),
        S("restore missing file", lambda s: s.restore(str(tmp_path / "missing.img"))),
        S("create transient", lambda s: s.create(B)),
        S("save transient", lambda s: s.call("beta", "save", img(s) + ".b")),
        S("restore transient", lambda s: s.restore(img(s) + ".b")),
    ]
    compare(tmp_path, steps, ["alpha", "beta"])


def test_save_image_is_readable_by_libvirt(tmp_path: Path) -> None:
    """pyvirt writes the test driver's own save format: libvirt can restore pyvirt's image."""
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    image = tmp_path / "a.img"
    with pyvirt.open(f"test://{node}") as conn:
        dom = conn.define_domain(A)
        dom.start()
        dom.save(str(image))
    theirs = libvirt.open(f"test://{node}")
    try:
        theirs.restore(str(image))
        assert theirs.lookupByName("alpha").state()[0] == libvirt.VIR_DOMAIN_RUNNING
    finally:
        theirs.close()


def test_lifecycle_events_match(tmp_path: Path) -> None:
    """The same calls produce the same lifecycle events (domain, type, detail), in order."""
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("start", ()), ("suspend", ()), ("resume", ()), ("managed_save", ()), ("start", ()),
        ("shutdown", ()), ("start", ()), ("destroy", ()), ("rename", ("delta",)),
    ]  # fmt: skip

    def drive(side: Side) -> None:
        side.define(A)  # type: ignore[attr-defined]
        side.define(A_MORE)  # type: ignore[attr-defined]
        for op, args in calls:
            side.call("alpha", op, *args)  # type: ignore[attr-defined]
        side.create(B)  # type: ignore[attr-defined]
        side.call("beta", "destroy")  # type: ignore[attr-defined]  (the last event)

    def is_last(name: str, event: int) -> bool:
        return name == "beta" and event == libvirt.VIR_DOMAIN_EVENT_STOPPED

    ours: list[tuple[str, int, int]] = []
    done = threading.Event()

    def collect(ev: Any) -> None:
        ours.append((ev.domain.name, int(ev.event), int(ev.detail)))
        if is_last(ev.domain.name, int(ev.event)):
            done.set()

    side = PyvirtSide(node)
    try:
        side.c.register_event(collect)
        drive(side)
        assert done.wait(5), "pyvirt did not deliver the last event"
    finally:
        side.close()

    theirs: list[tuple[str, int, int]] = []
    libvirt.virEventRegisterDefaultImpl()
    lside = LibvirtSide(node)
    timer = libvirt.virEventAddTimeout(100, lambda *a: None, None)
    try:
        lside.c.domainEventRegisterAny(
            None,
            libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            lambda c, d, e, det, o: theirs.append((d.name(), e, det)),
            None,
        )
        drive(lside)
        for _ in range(100):
            if theirs and is_last(*theirs[-1][:2]):
                break
            libvirt.virEventRunDefaultImpl()
    finally:
        libvirt.virEventRemoveTimeout(timer)
        lside.close()
    assert ours == theirs
    assert len(ours) == 14


@pytest.mark.parametrize("what", ["hostname", "version", "lib_version", "sysinfo", "capabilities", "node_info", "type"])
def test_host_calls_match(what: str) -> None:
    ours = pyvirt.open("test:///default")
    theirs = libvirt.open("test:///default")
    try:
        value = getattr(ours, what)()
        expected = {
            "hostname": theirs.getHostname,
            "version": theirs.getVersion,
            "lib_version": theirs.getLibVersion,
            "sysinfo": lambda: theirs.getSysinfo(0),
            "capabilities": theirs.getCapabilities,
            "node_info": lambda: theirs.getInfo(),
            "type": theirs.getType,
        }[what]()
        if what == "node_info":
            # libvirt-python reports memory in MiB; the C struct (and pyvirt) in KiB
            value = [value.model, value.memory // 1024, *value[2:]]
        assert value == expected
    finally:
        ours.close()
        theirs.close()


def test_default_objects_match() -> None:
    ours = pyvirt.open("test:///default")
    theirs = libvirt.open("test:///default")
    try:
        assert sorted(d.name for d in ours.list_domains()) == sorted(d.name() for d in theirs.listAllDomains())
        for d in theirs.listAllDomains():
            mine = ours.lookup_domain_by_uuid(d.UUIDString())
            assert mine.name == d.name()
            assert mine.xml() == d.XMLDesc(0)
            assert mine.xml(inactive=True) == d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            assert tuple(mine.state()) == tuple(d.state())
            assert mine.id == d.ID()
            assert list(mine.info())[:4] == d.info()[:4]
            assert mine.os_type == d.OSType()
            assert mine.max_memory == d.maxMemory()
            assert mine.autostart == bool(d.autostart())
            assert mine.is_persistent() == bool(d.isPersistent())
        assert ours.cells_free_memory(0, 8) == theirs.getCellsFreeMemory(0, 8)
        assert ours.free_memory() == theirs.getFreeMemory()
        assert ours.max_vcpus() == theirs.getMaxVcpus(None)
    finally:
        ours.close()
        theirs.close()


GUEST = domain_xml(
    "guest",
    extra="",
).replace(
    "</devices>",
    "<disk type='file' device='disk'><source file='/img/g.qcow2'/><target dev='vda' bus='virtio'/></disk>"
    "<memballoon model='virtio'/></devices>",
)


def _outcome(fn: Callable[[], Any], error: type) -> Any:
    try:
        return ("ok", fn())
    except error as exc:  # type: ignore[misc]
        code = exc.code if hasattr(exc, "code") else exc.get_error_code()
        message = exc.message if hasattr(exc, "message") else exc.get_error_message()
        return ("error", int(code), message)


def _norm(value: Any) -> Any:
    """Lists and tuples compare alike (libvirt-python mixes them)."""
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def test_guest_calls_match(tmp_path: Path) -> None:
    """Guest statistics and agent-style calls: same values (where not clock-based) and errors."""
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    dump = str(tmp_path / "core")
    ours = pyvirt.open(f"test://{node}")
    theirs = libvirt.open(f"test://{node}")
    try:
        for side in (ours, theirs):
            if side is ours:
                side.define_domain(GUEST)
            else:
                side.defineXML(GUEST)
        o = ours.lookup_domain("guest")
        t = theirs.lookupByName("guest")
        pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            ("time off", o.get_time, t.getTime),
            ("memstats off", o.memory_stats, t.memoryStats),
            ("vcpus off", o.vcpu_info, t.vcpus),
            ("block info", lambda: o.block_info("vda"), lambda: t.blockInfo("vda")),
            ("block info bad", lambda: o.block_info("vdz"), lambda: t.blockInfo("vdz")),
            ("seclabel off", o.security_label, lambda: tuple(t.securityLabel())),
            ("start", o.start, t.create),
            ("memstats", o.memory_stats, t.memoryStats),
            ("time", o.get_time, lambda: tuple(t.getTime().values())),
            ("control", o.control_info, lambda: tuple(t.controlInfo())),
            ("set time", lambda: o.set_time(12000, 5), lambda: t.setTime({"seconds": 12000, "nseconds": 5})),
            ("control busy", o.control_info, lambda: tuple(t.controlInfo())),
            ("fsinfo", o.fs_info, lambda: [(a, b, c, list(d)) for a, b, c, d in t.fsInfo()]),
            ("freeze all", o.fs_freeze, t.fsFreeze),
            ("freeze again", o.fs_freeze, t.fsFreeze),
            ("thaw root", lambda: o.fs_thaw(["/"]), lambda: t.fsThaw(["/"])),
            ("freeze bad", lambda: o.fs_freeze(["/nope"]), lambda: t.fsFreeze(["/nope"])),
            ("trim bad", lambda: o.fs_trim("/x"), lambda: t.fSTrim("/x", 0, 0)),
            ("ifaddr", o.interface_addresses, lambda: t.interfaceAddresses(0)),
            ("ifaddr bad source", lambda: o.interface_addresses(7), lambda: t.interfaceAddresses(7)),
            ("ifstats bad", lambda: o.interface_stats("nope"), lambda: t.interfaceStats("nope")),
            ("blkstats bad", lambda: o.block_stats("vdz"), lambda: t.blockStats("vdz")),
            ("blkstats empty", lambda: o.block_stats(""), lambda: t.blockStats("")),
            ("disk errors", o.disk_errors, t.diskErrors),
            ("seclabel", o.security_label, lambda: tuple(t.securityLabel())),
            ("sched", o.scheduler_type, lambda: t.schedulerType()[0]),
            ("sched params", o.scheduler_parameters, t.schedulerParameters),
            ("signal bad pid", lambda: o.send_process_signal(2, 1), lambda: t.sendProcessSignal(2, 1)),
            ("signal bad num", lambda: o.send_process_signal(1, 99), lambda: t.sendProcessSignal(1, 99)),
            ("peek", lambda: o.memory_peek(250, 10), lambda: t.memoryPeek(250, 10, 1)),
            ("peek phys", lambda: o.memory_peek(5, 3, physical=True), lambda: t.memoryPeek(5, 3, 2)),
            ("nmi", o.inject_nmi, lambda: None if t.injectNMI() == 0 else 1),
            ("lifecycle", lambda: o.set_lifecycle_action(0, 1, config=True), lambda: t.setLifecycleAction(0, 1, 2)),
            ("lifecycle bad", lambda: o.set_lifecycle_action(0, 4), lambda: t.setLifecycleAction(0, 4, 0)),
            ("stats period", lambda: o.set_memory_stats_period(10), lambda: t.setMemoryStatsPeriod(10, 0)),
            ("xml", o.xml, lambda: t.XMLDesc(0)),
            ("inactive xml", lambda: o.xml(inactive=True), lambda: t.XMLDesc(2)),
            ("dump kdump", lambda: o.core_dump(dump + "1", format=1), lambda: t.coreDumpWithFormat(dump + "2", 1, 0)),
            ("dump crash", lambda: o.core_dump(dump + "3", crash=True), lambda: t.coreDumpWithFormat(dump + "4", 0, 1)),
            ("state", lambda: tuple(o.state()), lambda: tuple(t.state())),
            ("cpu map", ours.cpu_map, lambda: theirs.getCPUMap()),
            ("cpu stats", ours.cpu_stats, lambda: theirs.getCPUStats(-1)),
            ("secmodel", ours.security_model, lambda: tuple(theirs.getSecurityModel())),
        ]
        for label, mine, oracle in pairs:
            got = _outcome(mine, pyvirt.VirtError)
            want = _outcome(oracle, libvirt.libvirtError)
            if got[0] == "ok" and want[0] == "ok" and got[1] is None and want[1] in (0, None):
                continue
            got, want = _norm(got), _norm(want)
            if label.startswith("vcpus off"):
                assert got[0] == want[0] == "error" and got[1] == want[1], label
                continue
            assert got == want, label
    finally:
        ours.close()
        theirs.close()


BLKIO = {"weight": 500, "device_weight": "/dev/sda,100,/dev/sdb,200", "device_read_iops_sec": "/dev/sda,5"}
IOTUNE = {
    "total_bytes_sec": 1000, "total_bytes_sec_max": 2000, "read_iops_sec": 5, "read_iops_sec_max": 10,
    "group_name": "g1",
}  # fmt: skip


def test_tunables_match(tmp_path: Path) -> None:
    """Memory/NUMA/bandwidth/perf tunables and CPU pinning: values, errors and resulting XML."""
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    ours = pyvirt.open(f"test://{node}")
    theirs = libvirt.open(f"test://{node}")
    mac = "52:54:00:00:00:01"
    try:
        ours.define_domain(GUEST)
        theirs.defineXML(GUEST)
        o = ours.lookup_domain("guest")
        t = theirs.lookupByName("guest")

        def pins(value: list[set[int]]) -> list[tuple[bool, ...]]:
            width = theirs.getCPUMap()[0]  # libvirt-python sizes maps by the host CPU map
            return [tuple(i in s for i in range(width)) for s in value]

        pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            ("mem params", o.memory_parameters, lambda: t.memoryParameters(0)),
            ("set mem", lambda: o.set_memory_parameters({"hard_limit": 2000000, "soft_limit": 1000000}),
             lambda: t.setMemoryParameters({"hard_limit": 2000000, "soft_limit": 1000000}, 0)),
            ("set mem bad", lambda: o.set_memory_parameters({"hard_limit": 3000000, "swap_hard_limit": 2000000}),
             lambda: t.setMemoryParameters({"hard_limit": 3000000, "swap_hard_limit": 2000000}, 0)),
            ("mem params 2", o.memory_parameters, lambda: t.memoryParameters(0)),
            ("numa", o.numa_parameters, lambda: t.numaParameters(0)),
            ("set numa", lambda: o.set_numa_parameters({"numa_nodeset": "0-1", "numa_mode": 1}),
             lambda: t.setNumaParameters({"numa_nodeset": "0-1", "numa_mode": 1}, 0)),
            ("set numa bad mode", lambda: o.set_numa_parameters({"numa_mode": 9}),
             lambda: t.setNumaParameters({"numa_mode": 9}, 0)),
            ("numa 2", o.numa_parameters, lambda: t.numaParameters(0)),
            ("if params", lambda: o.interface_parameters(mac), lambda: t.interfaceParameters(mac, 0)),
            ("set if", lambda: o.set_interface_parameters(mac, {"inbound.average": 1000, "outbound.peak": 2000}),
             lambda: t.setInterfaceParameters(mac, {"inbound.average": 1000, "outbound.peak": 2000}, 0)),
            ("set if out", lambda: o.set_interface_parameters(mac, {"outbound.average": 500, "outbound.burst": 7}),
             lambda: t.setInterfaceParameters(mac, {"outbound.average": 500, "outbound.burst": 7}, 0)),
            ("if params 2", lambda: o.interface_parameters(mac), lambda: t.interfaceParameters(mac, 0)),
            ("if bad", lambda: o.interface_parameters("zz"), lambda: t.interfaceParameters("zz", 0)),
            ("blkio", o.blkio_parameters, lambda: t.blkioParameters(0)),
            ("set blkio", lambda: o.set_blkio_parameters(BLKIO), lambda: t.setBlkioParameters(BLKIO, 0)),
            ("set blkio zero", lambda: o.set_blkio_parameters({"device_weight": "/dev/sda,0"}),
             lambda: t.setBlkioParameters({"device_weight": "/dev/sda,0"}, 0)),
            ("set blkio bad", lambda: o.set_blkio_parameters({"device_weight": "/dev/sda"}),
             lambda: t.setBlkioParameters({"device_weight": "/dev/sda"}, 0)),
            ("blkio 2", o.blkio_parameters, lambda: t.blkioParameters(0)),
            ("iotune", lambda: o.block_io_tune("vda"), lambda: t.blockIoTune("vda", 0)),
            ("set iotune", lambda: o.set_block_io_tune("vda", IOTUNE), lambda: t.setBlockIoTune("vda", IOTUNE, 0)),
            ("iotune no max", lambda: o.set_block_io_tune("vda", {"write_iops_sec": 3}),
             lambda: t.setBlockIoTune("vda", {"write_iops_sec": 3}, 0)),
            ("iotune conflict", lambda: o.set_block_io_tune("vda", {"read_bytes_sec": 5, "read_bytes_sec_max": 9}),
             lambda: t.setBlockIoTune("vda", {"read_bytes_sec": 5, "read_bytes_sec_max": 9}, 0)),
            ("iotune big", lambda: o.set_block_io_tune("vda", {"read_iops_sec": 10**16}),
             lambda: t.setBlockIoTune("vda", {"read_iops_sec": 10**16}, 0)),
            ("iotune bad disk", lambda: o.set_block_io_tune("vdz", {"read_iops_sec": 1}),
             lambda: t.setBlockIoTune("vdz", {"read_iops_sec": 1}, 0)),
            ("iotune get bad", lambda: o.block_io_tune("vdz"), lambda: t.blockIoTune("vdz", 0)),
            ("iotune 2", lambda: o.block_io_tune("/img/g.qcow2"), lambda: t.blockIoTune("/img/g.qcow2", 0)),
            ("perf", o.perf_events, lambda: t.perfEvents(0)),
            ("set perf", lambda: o.set_perf_events({"mbmt": False, "cmt": True}),
             lambda: t.setPerfEvents({"mbmt": False, "cmt": True}, 0)),
            ("perf 2", o.perf_events, lambda: t.perfEvents(0)),
            ("emupin", lambda: pins([o.emulator_pin_info()])[0], lambda: t.emulatorPinInfo(0)),
            ("pin emu", lambda: o.pin_emulator({0, 1}), lambda: t.pinEmulator((True, True), 0)),
            ("pin emu empty", lambda: o.pin_emulator(set()), lambda: t.pinEmulator((False,), 0)),
            ("emupin 2", lambda: pins([o.emulator_pin_info()])[0], lambda: t.emulatorPinInfo(0)),
            ("pin vcpu off", lambda: o.pin_vcpu(0, {1}), lambda: t.pinVcpu(0, (False, True))),
            ("xml off", o.xml, lambda: t.XMLDesc(0)),
            ("start", o.start, t.create),
            ("pin vcpu", lambda: o.pin_vcpu(1, {0, 2}), lambda: t.pinVcpu(1, (True, False, True))),
            ("pin vcpu absent", lambda: o.pin_vcpu(7, {0}), lambda: t.pinVcpu(7, (True,))),
            ("vcpupin", lambda: pins(o.vcpu_pin_info())[: o.info().vcpus], lambda: t.vcpuPinInfo(0)),
            ("vcpu cpus", lambda: [v.cpu for v in o.vcpu_info()], lambda: [v[3] for v in t.vcpus()[0]]),
            ("cpu stats", o.cpu_stats, lambda: t.getCPUStats(True)),
            ("set numa live mode", lambda: o.set_numa_parameters({"numa_mode": 2}),
             lambda: t.setNumaParameters({"numa_mode": 2}, 0)),
            ("xml live", o.xml, lambda: t.XMLDesc(0)),
            ("xml config", lambda: o.xml(inactive=True), lambda: t.XMLDesc(2)),
        ]  # fmt: skip
        for label, mine, oracle in pairs:
            got = _norm(_outcome(mine, pyvirt.VirtError))
            want = _norm(_outcome(oracle, libvirt.libvirtError))
            if got[0] == want[0] == "ok" and got[1] is None and want[1] in (0, None):
                continue
            assert got == want, label
    finally:
        ours.close()
        theirs.close()


@pytest.mark.parametrize(
    "text",
    [
        "<domain",
        "<domain type='test'><memory>1</memory><os><type>hvm</type></os></domain>",
        "<domain type='test'><name>a/b</name><memory>1</memory><os><type>hvm</type></os></domain>",
        "<domain type='test'><name>a\nb</name><memory>1</memory><os><type>hvm</type></os></domain>",
        "<domain type='test'><name>x</name><uuid>nope</uuid><memory>1</memory><os><type>hvm</type></os></domain>",
    ],
)
@pytest.mark.parametrize("create", [False, True])
def test_define_and_create_refusals_match(tmp_path: Path, text: str, create: bool) -> None:
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    ours = pyvirt.open(f"test://{node}")
    theirs = libvirt.open(f"test://{node}")
    try:
        mine = _outcome(lambda: (ours.create_domain(text) if create else ours.define_domain(text)).name, pyvirt.VirtError)
        want = _outcome(lambda: (theirs.createXML(text, 0) if create else theirs.defineXML(text)).name(), libvirt.libvirtError)
        assert mine == want
    finally:
        ours.close()
        theirs.close()


def _none(_result: Any) -> None:
    """libvirt-python returns 0 where pyvirt returns None: both mean done."""


def test_save_restore_and_vcpu_flags_match(tmp_path: Path) -> None:
    """The save/restore and set/get-vcpus flags: the same acceptance and the same errors,
    whether the check lives in libvirt's API layer or in its test driver."""
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    ours, theirs = pyvirt.open(f"test://{node}"), libvirt.open(f"test://{node}")
    try:
        o = ours.define_domain(A)
        t = theirs.defineXML(A)
        o.start()
        t.create()
        mine_img, their_img = str(tmp_path / "o.img"), str(tmp_path / "t.img")
        save_kw = [{"running": True}, {"paused": True}, {"bypass_cache": True},
                   {"running": True, "paused": True}, {"xml": ""}, {}]
        for kw in save_kw:  # the last one saves for real
            flags = (2 if kw.get("running") else 0) | (4 if kw.get("paused") else 0) | (1 if kw.get("bypass_cache") else 0)
            got = _outcome(lambda: o.save(mine_img, **kw), pyvirt.VirtError)  # noqa: B023 (called at once)
            want = _outcome(lambda: _none(t.saveFlags(their_img, kw.get("xml"), flags)), libvirt.libvirtError)  # noqa: B023 (called at once)
            assert got == want, f"save {kw}"
        for kw in save_kw:  # the last one restores for real
            flags = (2 if kw.get("running") else 0) | (4 if kw.get("paused") else 0) | (1 if kw.get("bypass_cache") else 0)
            got = _outcome(lambda: ours.restore(mine_img, **kw), pyvirt.VirtError)  # noqa: B023 (called at once)
            want = _outcome(lambda: _none(theirs.restoreFlags(their_img, kw.get("xml"), flags)), libvirt.libvirtError)  # noqa: B023 (called at once)
            assert got == want, f"restore {kw}"
        assert o.state() == tuple(t.state())
        for kw in [{"running": True, "paused": True}, {"paused": True}, {"bypass_cache": True}]:
            flags = (2 if kw.get("running") else 0) | (4 if kw.get("paused") else 0) | (1 if kw.get("bypass_cache") else 0)
            got = _outcome(lambda: o.managed_save(**kw), pyvirt.VirtError)  # noqa: B023 (called at once)
            want = _outcome(lambda: _none(t.managedSave(flags)), libvirt.libvirtError)  # noqa: B023 (called at once)
            assert got == want, f"managed save {kw}"
            for dom in (o, t):
                if not (dom.is_active() if dom is o else dom.isActive()):
                    dom.start() if dom is o else dom.create()
        vcpu_kw = [{"guest": True}, {"guest": True, "config": True}, {"hotpluggable": True},
                   {"guest": True, "hotpluggable": True, "live": True}, {"maximum": True},
                   {"maximum": True, "guest": True}, {"maximum": True, "config": True, "hotpluggable": True}]
        for count in (0, 1):
            for kw in vcpu_kw:
                flags = ((1 if kw.get("live") else 0) | (2 if kw.get("config") else 0) | (4 if kw.get("maximum") else 0)
                         | (8 if kw.get("guest") else 0) | (16 if kw.get("hotpluggable") else 0))
                got = _outcome(lambda: o.set_vcpus(count, **kw), pyvirt.VirtError)  # noqa: B023 (called at once)
                want = _outcome(lambda: _none(t.setVcpusFlags(count, flags)), libvirt.libvirtError)  # noqa: B023 (called at once)
                assert got == want, f"set_vcpus {count} {kw}"
        for kw in [{"guest": True}, {"guest": True, "live": True}, {"guest": True, "maximum": True}]:
            flags = (1 if kw.get("live") else 0) | (4 if kw.get("maximum") else 0) | 8
            assert _outcome(lambda: o.vcpus(**kw), pyvirt.VirtError) == _outcome(  # noqa: B023 (called at once)
                lambda: t.vcpusFlags(flags), libvirt.libvirtError), f"vcpus {kw}"  # noqa: B023 (called at once)
    finally:
        ours.close()
        theirs.close()


def test_iothread_info_matches(tmp_path: Path) -> None:
    """IOThread ids (explicit and numbered by libvirt) and their CPU affinity, live and config."""
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    text = domain_xml("threads", extra="<iothreads>3</iothreads><iothreadids><iothread id='4'/></iothreadids>"
                                       "<cputune><iothreadpin iothread='4' cpuset='1'/></cputune>")
    ours, theirs = pyvirt.open(f"test://{node}"), libvirt.open(f"test://{node}")
    try:
        o, t = ours.define_domain(text), theirs.defineXML(text)
        for flags in (0, 2, 3):
            got = _outcome(lambda: [(i, sorted(c)) for i, c in o.iothread_info(live=bool(flags & 1), config=bool(flags & 2))],  # noqa: B023 (called at once)
                           pyvirt.VirtError)
            want = _outcome(lambda: [(i, [n for n, on in enumerate(m) if on]) for i, m in t.ioThreadInfo(flags)],  # noqa: B023 (called at once)
                            libvirt.libvirtError)
            assert _norm(got) == _norm(want), flags
    finally:
        ours.close()
        theirs.close()


def test_domain_stats_match(tmp_path: Path) -> None:
    """Bulk stats: the groups libvirt's test driver fills, list filters and ENFORCE refusals."""
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    ours, theirs = pyvirt.open(f"test://{node}"), libvirt.open(f"test://{node}")
    try:
        for c in (ours, theirs):
            (c.define_domain(A) if c is ours else c.defineXML(A))
            running = c.define_domain(B) if c is ours else c.defineXML(B)
            running.start() if c is ours else running.create()
        for stats, flags in ((0, 0), (1, 0), (0x80, 0), (0x40, 0), (0x40, 1 << 31), (0x81, 1 << 31), (0, 16), (0, 64)):
            got = _outcome(lambda: sorted((d.name, p) for d, p in ours.domain_stats(stats, flags=flags)), pyvirt.VirtError)  # noqa: B023 (called at once)
            want = _outcome(lambda: sorted((d.name(), p) for d, p in theirs.getAllDomainStats(stats, flags)),  # noqa: B023 (called at once)
                            libvirt.libvirtError)
            assert _norm(got) == _norm(want), (stats, flags)
    finally:
        ours.close()
        theirs.close()
