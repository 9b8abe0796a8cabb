"""Job info, job abort and the QEMU monitor passthrough on the test driver, against libvirt.

libvirt 9.0's test driver implements none of the three, so pyvirt's must fail exactly as it
does: VIR_ERR_NO_SUPPORT naming the C API, in the error domain of the libvirt source file that
holds the API, and the read-only refusal for the changing ones. Every expectation is read from
the live oracle (libvirt-python on ``test:///default``), never written down here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import pyvirt
from pyvirt.driver.unsupported import api_error_domain, unsupported
from pyvirt.errors import VirtError

libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
libvirt_qemu = pytest.importorskip("libvirt_qemu", reason="libvirt-python's libvirt_qemu is not installed")
libvirt.registerErrorHandler(lambda *args: None, None)

QUERY = '{"execute":"query-status"}'


def _oracle_error(call: Callable[[], object]) -> tuple[int, int, str]:
    """libvirt's error for ``call``. Late in a full run libvirt-python has been seen to raise
    once with no error recorded (code None); the call is then asked again, once."""
    for _ in range(2):
        with pytest.raises(libvirt.libvirtError) as info:
            call()
        err = info.value
        if err.get_error_code() is not None:
            break
    return err.get_error_code(), err.get_error_domain(), err.get_error_message()


def _our_error(call: Callable[[], object]) -> tuple[int, int, str]:
    with pytest.raises(VirtError) as info:
        call()
    err = info.value
    return int(err.code), int(err.domain), err.message


@pytest.fixture(params=[False, True], ids=["rw", "ro"])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[object, pyvirt.Domain]]:
    readonly = request.param
    theirs = (libvirt.openReadOnly if readonly else libvirt.open)("test:///default")
    ours = pyvirt.open("test:///default", readonly=readonly)
    try:
        yield theirs.lookupByName("test"), ours.lookup_domain("test")
    finally:
        theirs.close()
        ours.close()


def test_job_info_is_unsupported_as_in_libvirt(pair) -> None:  # type: ignore[no-untyped-def]
    theirs, ours = pair
    assert _our_error(ours.job_info) == _oracle_error(theirs.jobInfo)


def test_abort_job_fails_as_in_libvirt(pair) -> None:  # type: ignore[no-untyped-def]
    theirs, ours = pair
    assert _our_error(ours.abort_job) == _oracle_error(theirs.abortJob)


def test_qemu_monitor_command_fails_as_in_libvirt(pair) -> None:  # type: ignore[no-untyped-def]
    theirs, ours = pair
    expected = _oracle_error(lambda: libvirt_qemu.qemuMonitorCommand(theirs, QUERY, 0))
    assert _our_error(lambda: ours.qemu_monitor_command(QUERY)) == expected
    hmp = _oracle_error(lambda: libvirt_qemu.qemuMonitorCommand(theirs, "info status", 1))
    assert _our_error(lambda: ours.qemu_monitor_command("info status", hmp=True)) == hmp


def _oracle_unsupported() -> list[tuple[str, int]]:
    """(API name, error domain) of calls libvirt's test driver does not implement."""
    conn = libvirt.open("test:///default")
    dom = conn.lookupByName("test")
    pool = conn.storagePoolLookupByName("default-pool")
    vol = pool.createXML("<volume><name>upload-probe</name><capacity>1</capacity></volume>", 0)
    calls: list[Callable[[], object]] = [
        dom.jobInfo,
        dom.migrateGetMaxSpeed,
        lambda: dom.blockJobInfo("vda"),
        lambda: libvirt_qemu.qemuMonitorCommand(dom, QUERY, 0),
        lambda: conn.networkLookupByName("default").listAllPorts(),
        lambda: vol.upload(conn.newStream(), 0, 0),
        lambda: conn.listAllDevices()[0].create(),
        conn.listAllSecrets,
        conn.listAllNWFilters,
        conn.getStoragePoolCapabilities,
        lambda: conn.getMemoryStats(-1),
        lambda: conn.compareCPU("<cpu/>"),
    ]
    found = []
    try:
        for call in calls:
            code, domain, message = _oracle_error(call)
            assert code == libvirt.VIR_ERR_NO_SUPPORT, message
            found.append((message.rsplit(": ", 1)[1], domain))
    finally:
        vol.delete(0)
        conn.close()
    return found


def test_unsupported_uses_the_error_domain_of_libvirts_api_family() -> None:
    probes = _oracle_unsupported()
    assert len({domain for _name, domain in probes}) >= 5  # the probes span several families
    for api, domain in probes:
        assert int(api_error_domain(api)) == domain, api
        with pytest.raises(VirtError) as info:
            unsupported(api)
        assert (int(info.value.domain), info.value.message.rsplit(": ", 1)[1]) == (domain, api)
