"""The public Domain over the test driver: lifecycle, live vs config, metadata, save, jobs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from lxml import etree

import pyvirt
from pyvirt import (
    DomainMetadataType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainState,
)
from pyvirt.errors import ErrorNumber, NoDomainError, VirtError


def xml(name: str, memory: int = 1048576, vcpu: str = "<vcpu current='1'>4</vcpu>", extra: str = "") -> str:
    return (
        f"<domain type='test'><name>{name}</name><memory>{memory}</memory>{vcpu}"
        f"<os><type>hvm</type></os>{extra}</domain>"
    )


def field(doc: str, path: str) -> str | None:
    el = etree.fromstring(doc.encode()).find(path)
    return None if el is None else el.text


@pytest.fixture
def conn(tmp_path: Path):
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    with pyvirt.open(f"test://{node}") as c:
        yield c


def code_of(call) -> ErrorNumber:
    with pytest.raises(VirtError) as info:
        call()
    return info.value.code


def test_lifecycle_states_and_reasons(conn) -> None:
    dom = conn.define_domain(xml("life"))
    assert dom.state() == (DomainState.SHUTOFF, DomainShutoffReason.UNKNOWN)
    assert dom.id == -1 and not dom.is_active() and dom.is_persistent()
    dom.start()
    assert dom.state() == (DomainState.RUNNING, DomainRunningReason.BOOTED)
    first_id = dom.id
    assert first_id > 0 and dom.is_active()
    dom.suspend()
    assert dom.state() == (DomainState.PAUSED, DomainPausedReason.USER)
    dom.resume()
    assert dom.state() == (DomainState.RUNNING, DomainRunningReason.UNPAUSED)
    dom.reboot()
    dom.reset()
    dom.shutdown()
    assert dom.state() == (DomainState.SHUTOFF, DomainShutoffReason.SHUTDOWN)
    dom.start()
    assert dom.id > first_id  # ids are never reused
    dom.destroy()
    assert dom.state() == (DomainState.SHUTOFF, DomainShutoffReason.DESTROYED)
    assert dom.info().state == DomainState.SHUTOFF


def test_invalid_transitions(conn) -> None:
    dom = conn.define_domain(xml("bad"))
    assert code_of(dom.destroy) == ErrorNumber.OPERATION_INVALID
    assert code_of(dom.resume) == ErrorNumber.INTERNAL_ERROR
    assert code_of(dom.suspend) == ErrorNumber.INTERNAL_ERROR
    dom.start()
    assert code_of(dom.start) == ErrorNumber.INTERNAL_ERROR
    assert code_of(dom.resume) == ErrorNumber.INTERNAL_ERROR
    assert code_of(lambda: dom.rename("other")) == ErrorNumber.OPERATION_INVALID


def test_transient_domain_vanishes_on_stop(conn) -> None:
    dom = conn.create_domain(xml("tmp"))
    assert dom.is_active() and not dom.is_persistent()
    dom.destroy()
    with pytest.raises(NoDomainError):
        conn.lookup_domain("tmp")
    with pytest.raises(NoDomainError):
        dom.state()


def test_undefine_running_domain_makes_it_transient(conn) -> None:
    dom = conn.define_domain(xml("undef"))
    dom.start()
    dom.undefine()
    assert not dom.is_persistent() and dom.is_active()
    dom.shutdown()
    assert code_of(dom.state) == ErrorNumber.NO_DOMAIN


def test_config_change_applies_at_next_start(conn) -> None:
    dom = conn.define_domain(xml("cfg", memory=1048576))
    dom.start()
    dom.set_memory(524288, config=True)
    assert field(dom.xml(), "currentMemory") == "1048576"
    assert field(dom.xml(inactive=True), "currentMemory") == "524288"
    dom.set_memory(786432, live=True)
    assert dom.info().memory == 786432
    assert field(dom.xml(inactive=True), "currentMemory") == "524288"
    dom.destroy()
    assert dom.info().memory == 524288
    assert field(dom.xml(), "currentMemory") == "524288"


def test_define_of_running_domain_replaces_only_the_config(conn) -> None:
    dom = conn.define_domain(xml("redef", memory=1048576))
    dom.start()
    conn.define_domain(xml("redef", memory=2097152).replace("<name>", f"<uuid>{dom.uuid}</uuid><name>"))
    assert field(dom.xml(), "memory") == "1048576"
    assert field(dom.xml(inactive=True), "memory") == "2097152"
    assert dom.max_memory == 1048576
    dom.destroy()
    assert dom.max_memory == 2097152


def test_define_conflicts(conn) -> None:
    dom = conn.define_domain(xml("one"))
    other_uuid = xml("one").replace("<name>", "<uuid>00000000-0000-0000-0000-00000000000a</uuid><name>")
    assert code_of(lambda: conn.define_domain(other_uuid)) == ErrorNumber.OPERATION_FAILED
    same_uuid = xml("two").replace("<name>", f"<uuid>{dom.uuid}</uuid><name>")
    assert code_of(lambda: conn.define_domain(same_uuid)) == ErrorNumber.OPERATION_FAILED
    assert code_of(lambda: conn.define_domain("<domain")) in (ErrorNumber.XML_DETAIL, ErrorNumber.XML_ERROR)


def test_memory_limits(conn) -> None:
    dom = conn.define_domain(xml("mem", memory=1048576))
    assert code_of(lambda: dom.set_memory(4 * 1048576)) == ErrorNumber.INVALID_ARG
    dom.set_max_memory(524288)
    assert dom.max_memory == 524288
    assert dom.info().memory == 524288  # current memory follows a lower maximum down
    dom.start()
    assert code_of(lambda: dom.set_max_memory(1048576, live=True)) == ErrorNumber.OPERATION_INVALID
    assert code_of(lambda: dom.set_memory(1000, live=True, config=True)) == ErrorNumber.INVALID_ARG


def test_vcpus(conn) -> None:
    dom = conn.define_domain(xml("cpu"))
    assert dom.vcpus() == 1 and dom.vcpus(maximum=True) == 4
    dom.set_vcpus(3)
    assert dom.vcpus() == 3
    assert code_of(lambda: dom.set_vcpus(5)) == ErrorNumber.INVALID_ARG
    dom.set_vcpus(2, config=True, maximum=True)
    assert dom.vcpus(maximum=True) == 2 and dom.vcpus() == 2
    dom.start()
    dom.set_vcpus(1, live=True)
    assert dom.vcpus(live=True) == 1 and dom.vcpus(config=True) == 2
    assert dom.info().vcpus == 1
    assert code_of(lambda: dom.set_vcpus(0)) == ErrorNumber.INVALID_ARG


def test_autostart(conn) -> None:
    dom = conn.define_domain(xml("auto"))
    assert dom.autostart is False
    dom.autostart = True
    assert conn.lookup_domain("auto").autostart is True


def test_metadata_round_trip(conn) -> None:
    dom = conn.define_domain(xml("meta"))
    assert dom.title is None and dom.description is None
    dom.title = "A title"
    dom.description = "Some text"
    assert (dom.title, dom.description) == ("A title", "Some text")
    uri = "http://example.org/app/1"
    dom.set_metadata(DomainMetadataType.ELEMENT, "<app><v>1</v></app>", "app", uri)
    assert etree.fromstring(dom.metadata(DomainMetadataType.ELEMENT, uri).encode()).findtext("v") == "1"
    assert f"xmlns:app=\"{uri}\"" in dom.xml() or f"xmlns:app='{uri}'" in dom.xml()
    dom.set_metadata(DomainMetadataType.ELEMENT, None, None, uri)
    assert code_of(lambda: dom.metadata(DomainMetadataType.ELEMENT, uri)) == ErrorNumber.NO_DOMAIN_METADATA
    dom.title = None
    assert dom.title is None
    assert code_of(lambda: dom.set_metadata(DomainMetadataType.TITLE, "two\nlines")) == ErrorNumber.INVALID_ARG


def test_metadata_live_and_config(conn) -> None:
    dom = conn.define_domain(xml("meta2"))
    dom.start()
    dom.set_metadata(DomainMetadataType.TITLE, "live only", live=True)
    assert dom.metadata(DomainMetadataType.TITLE, live=True) == "live only"
    assert code_of(lambda: dom.metadata(DomainMetadataType.TITLE, config=True)) == ErrorNumber.NO_DOMAIN_METADATA
    dom.destroy()
    assert dom.title is None


def test_save_and_restore(conn, tmp_path: Path) -> None:
    dom = conn.define_domain(xml("saved"))
    image = str(tmp_path / "saved.img")
    assert code_of(lambda: dom.save(image)) == ErrorNumber.OPERATION_INVALID
    dom.start()
    dom.save(image)
    assert dom.state() == (DomainState.SHUTOFF, DomainShutoffReason.SAVED)
    assert "<name>saved</name>" in conn.save_image_xml(image)
    conn.restore(image)
    assert dom.state() == (DomainState.RUNNING, DomainRunningReason.RESTORED)
    assert code_of(lambda: conn.restore(image)) == ErrorNumber.OPERATION_INVALID
    (tmp_path / "junk.img").write_bytes(b"not an image at all")
    assert code_of(lambda: conn.restore(str(tmp_path / "junk.img"))) == ErrorNumber.INTERNAL_ERROR


def test_save_restore_flags(conn, tmp_path: Path) -> None:
    """The keywords reach the driver as libvirt's flags: libvirt 9.0's test driver accepts
    none on save/restore, the API itself refuses running+paused, and any xml (even empty)
    is refused as an unsupported modification."""
    dom = conn.define_domain(xml("flagged"))
    dom.start()
    image = str(tmp_path / "flagged.img")
    for kw in ({"running": True}, {"paused": True}, {"bypass_cache": True}):
        assert code_of(lambda: dom.save(image, **kw)) == ErrorNumber.INVALID_ARG  # noqa: B023 (called at once)
    assert code_of(lambda: dom.save(image, running=True, paused=True)) == ErrorNumber.INVALID_ARG
    assert code_of(lambda: dom.save(image, xml="")) == ErrorNumber.ARGUMENT_UNSUPPORTED
    assert dom.state()[0] == DomainState.RUNNING
    dom.save(image)
    assert code_of(lambda: conn.restore(image, paused=True)) == ErrorNumber.INVALID_ARG
    assert code_of(lambda: conn.restore(image, xml="")) == ErrorNumber.ARGUMENT_UNSUPPORTED
    conn.restore(image)
    assert dom.state() == (DomainState.RUNNING, DomainRunningReason.RESTORED)
    assert code_of(lambda: dom.managed_save(running=True, paused=True)) == ErrorNumber.INVALID_ARG
    dom.managed_save(paused=True, bypass_cache=True)
    assert dom.has_managed_save


def test_set_vcpus_guest_and_hotpluggable(conn) -> None:
    dom = conn.define_domain(xml("cpus"))
    dom.start()
    assert code_of(lambda: dom.set_vcpus(1, guest=True, config=True)) == ErrorNumber.INVALID_ARG
    assert code_of(lambda: dom.set_vcpus(2, maximum=True)) == ErrorNumber.INVALID_ARG
    for kw in ({"guest": True}, {"hotpluggable": True, "live": True}):
        with pytest.raises(VirtError, match="unsupported flags") as info:
            dom.set_vcpus(1, **kw)
        assert info.value.code == ErrorNumber.INVALID_ARG
    assert code_of(lambda: dom.vcpus(guest=True)) == ErrorNumber.INVALID_ARG
    assert dom.vcpus(live=True) == 1


def test_managed_save(conn) -> None:
    dom = conn.define_domain(xml("ms"))
    dom.start()
    dom.managed_save()
    assert dom.has_managed_save
    assert dom.state() == (DomainState.SHUTOFF, DomainShutoffReason.SAVED)
    assert code_of(dom.undefine) == ErrorNumber.OPERATION_INVALID
    dom.managed_save_remove()
    assert not dom.has_managed_save
    dom.start()
    dom.managed_save()
    dom.undefine(managed_save=True)
    assert code_of(dom.state) == ErrorNumber.NO_DOMAIN


def test_rename(conn) -> None:
    dom = conn.define_domain(xml("old"))
    conn.define_domain(xml("taken"))
    assert code_of(lambda: dom.rename("taken")) == ErrorNumber.OPERATION_INVALID
    assert code_of(lambda: dom.rename("")) == ErrorNumber.INVALID_ARG
    dom.rename("new")
    assert dom.name == "new"
    assert conn.lookup_domain("new") == dom
    assert code_of(lambda: conn.lookup_domain_by_name("old")) == ErrorNumber.NO_DOMAIN


def test_os_type_hostname_and_flags(conn) -> None:
    dom = conn.define_domain(xml("misc"))
    assert dom.os_type == "linux"
    assert code_of(dom.hostname) == ErrorNumber.OPERATION_INVALID
    dom.start()
    assert dom.hostname() == "mischost"
    assert code_of(lambda: dom.start()) == ErrorNumber.INTERNAL_ERROR
    assert code_of(lambda: dom.xml(flags=1 << 20)) == ErrorNumber.INVALID_ARG


def test_secure_xml_hides_passwords_by_default(conn) -> None:
    dom = conn.define_domain(
        xml("gfx", extra="<devices><graphics type='vnc' port='-1' passwd='s3cret'/></devices>")
    )
    assert "s3cret" not in dom.xml()
    assert "s3cret" in dom.xml(secure=True)


# -- jobs: one changing call per domain at a time; queries never wait ----------------------------


def test_queries_do_not_wait_for_a_job(conn, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyvirt.drivers.test import domains

    dom = conn.define_domain(xml("busy"))
    obj = conn.driver.state.domains.by_name("busy")
    release = threading.Event()
    started = threading.Event()

    def hold() -> None:
        with obj.job("held-by-test"):
            started.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert started.wait(5)
        t0 = time.monotonic()
        assert dom.state()[0] == DomainState.SHUTOFF
        assert "<name>busy</name>" in dom.xml()
        assert [d.name for d in conn.list_domains()] == ["busy"]
        assert conn.lookup_domain("busy") == dom
        assert time.monotonic() - t0 < 1.0
        monkeypatch.setattr(domains, "JOB_TIMEOUT", 0.2)
        with pytest.raises(VirtError) as info:
            dom.start()
        assert info.value.code == ErrorNumber.OPERATION_TIMEOUT
        assert "cannot acquire state change lock" in info.value.message
    finally:
        release.set()
        holder.join()
    dom.start()  # the job is free again
    assert dom.is_active()


def test_concurrent_start_destroy_keeps_state_consistent(conn) -> None:
    doms = [conn.define_domain(xml(f"c{i}")) for i in range(4)]
    errors: list[Exception] = []

    def worker(seed: int) -> None:
        for n in range(60):
            dom = doms[(seed + n) % len(doms)]
            try:
                if (seed + n) % 2:
                    dom.start()
                else:
                    dom.destroy()
            except VirtError as exc:
                if exc.code not in (ErrorNumber.INTERNAL_ERROR, ErrorNumber.OPERATION_INVALID):
                    errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    active = conn.list_domains(active=True)
    ids = [d.id for d in active]
    assert len(ids) == len(set(ids)) and all(i > 0 for i in ids)
    for dom in doms:
        state, _ = dom.state()
        assert (state == DomainState.RUNNING) == dom.is_active()
    assert conn.num_of_domains() == len(active)


# -- guest calls and tunables (exact figures are compared with libvirt in tests/differential) ----


def test_tunables_round_trip(conn) -> None:
    dom = conn.define_domain(
        xml("tune", extra="<devices><disk type='file' device='disk'><source file='/d.img'/>"
                          "<target dev='vda' bus='virtio'/></disk><interface type='network'>"
                          "<mac address='52:54:00:aa:bb:cc'/><source network='default'/></interface></devices>")
    )
    dom.set_memory_parameters({"hard_limit": 4096, "soft_limit": 2048})
    assert dom.memory_parameters()["hard_limit"] == 4096
    assert "<hard_limit unit='KiB'>4096</hard_limit>" in dom.xml()
    dom.set_numa_parameters({"numa_mode": 2, "numa_nodeset": "0,1,3"})
    assert dom.numa_parameters() == {"numa_mode": 2, "numa_nodeset": "0-1,3"}
    dom.set_interface_parameters("52:54:00:aa:bb:cc", {"inbound.average": 100})
    assert dom.interface_parameters("52:54:00:aa:bb:cc")["inbound.average"] == 100
    dom.set_perf_events({"cmt": True})
    assert dom.perf_events()["cmt"] is True and dom.perf_events()["mbmt"] is False
    dom.set_blkio_parameters({"weight": 300, "device_weight": "/dev/sda,10"})
    assert dom.blkio_parameters()["device_weight"] == "/dev/sda,10"
    dom.set_block_io_tune("vda", {"read_iops_sec": 5, "read_iops_sec_max": 9})
    assert dom.block_io_tune("/d.img")["read_iops_sec_max"] == 9
    dom.pin_emulator({1, 2})
    assert dom.emulator_pin_info() == {1, 2}
    assert code_of(lambda: dom.pin_vcpu(0, {1})) == ErrorNumber.OPERATION_INVALID
    dom.start()
    dom.pin_vcpu(0, {3, 4})
    assert dom.vcpu_pin_info()[0] == {3, 4}
    assert dom.vcpu_info()[0].cpu == 4
    # live changes stay out of the persistent configuration
    assert "vcpupin" not in dom.xml(inactive=True)


def test_guest_calls(conn, tmp_path: Path) -> None:
    dom = conn.define_domain(xml("g", extra="<devices><memballoon model='virtio'/></devices>"))
    assert code_of(dom.memory_stats) == ErrorNumber.OPERATION_INVALID
    dom.start()
    assert dom.memory_stats()["actual"] == dom.info().memory
    seconds, _ = dom.get_time()
    dom.set_time(seconds + 100, 7)
    assert dom.get_time() == (seconds + 100, 7)
    assert dom.fs_freeze() == 2 and dom.fs_freeze() == 0
    assert dom.fs_thaw(["/boot"]) == 1
    assert code_of(lambda: dom.fs_freeze(["/srv"])) == ErrorNumber.OPERATION_INVALID
    assert dom.security_label() == ("libvirt-test", True)
    dom.core_dump(str(tmp_path / "core"), crash=True)
    assert (tmp_path / "core").exists()
    assert dom.state() == (DomainState.SHUTOFF, DomainShutoffReason.CRASHED)
    assert dom.security_label() == ("", False)


def test_readonly_refuses_guest_and_tuning_changes() -> None:
    with pyvirt.open("test:///default", readonly=True) as ro:
        dom = ro.lookup_domain("test")
        assert dom.memory_parameters()  # reading is allowed
        for api, call in {
            "virDomainSetTime": lambda: dom.set_time(0),
            "virDomainFSFreeze": dom.fs_freeze,
            "virDomainSetMemoryParameters": lambda: dom.set_memory_parameters({"hard_limit": 1}),
            "virDomainPinVcpu": lambda: dom.pin_vcpu(0, {0}),
            "virDomainCoreDumpWithFormat": lambda: dom.core_dump("/tmp/x"),
        }.items():
            with pytest.raises(VirtError) as info:
                call()
            assert info.value.message == f"operation forbidden: read only access prevents {api}"
