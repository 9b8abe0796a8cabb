"""libvirt's connection URI grammar and the default-URI rules."""

from __future__ import annotations

import pytest

import pyvirt
from pyvirt.errors import ErrorNumber, VirtError
from pyvirt.uri import DEFAULT_URI, default_uri, format_uri, parse_uri


def test_local_test_uri() -> None:
    uri = parse_uri("test:///default")
    assert (uri.scheme, uri.driver, uri.transport) == ("test", "test", None)
    assert uri.host is None and uri.user is None and uri.port is None
    assert uri.path == "/default"
    assert not uri.is_remote
    assert str(uri) == "test:///default"


def test_full_remote_uri() -> None:
    uri = parse_uri("qemu+ssh://root@host.example.com:2222/system?keyfile=/k%20ey&no_verify=1&socket=/s")
    assert uri.driver == "qemu"
    assert uri.transport == "ssh"
    assert uri.user == "root"
    assert uri.host == "host.example.com"
    assert uri.port == 2222
    assert uri.path == "/system"
    assert uri.param("keyfile") == "/k ey"
    assert uri.param("no_verify") == "1"
    assert uri.param("missing", "dflt") == "dflt"
    assert uri.is_remote


def test_host_without_transport_is_remote() -> None:
    assert parse_uri("test://example.com/default").is_remote
    assert parse_uri("qemu+unix:///system").is_remote


def test_ipv6_host_and_repeated_params() -> None:
    uri = parse_uri("qemu+tcp://[::1]:16509/system?a=1&a=2")
    assert uri.host == "::1"
    assert uri.port == 16509
    assert uri.param("a") == "2"  # the last one wins, as in libvirt
    assert uri.params == (("a", "1"), ("a", "2"))


def test_scheme_is_case_insensitive() -> None:
    assert parse_uri("TEST:///default").driver == "test"


@pytest.mark.parametrize("text", ["default", "/just/a/path", "test:default"])
def test_not_a_connection_uri(text: str) -> None:
    with pytest.raises(VirtError) as info:
        parse_uri(text)
    assert info.value.code == ErrorNumber.NO_CONNECT


def test_bad_port() -> None:
    with pytest.raises(VirtError) as info:
        parse_uri("qemu://host:notaport/system")
    assert info.value.code == ErrorNumber.INTERNAL_ERROR
    assert "Unable to parse URI" in info.value.message


def test_format_round_trip() -> None:
    text = format_uri("qemu+ssh", "/system", user="root", host="::1", port=22, params=(("keyfile", "/a b"),))
    uri = parse_uri(text)
    assert (uri.user, uri.host, uri.port, uri.path, uri.param("keyfile")) == ("root", "::1", 22, "/system", "/a b")


def test_default_uri_order() -> None:
    assert default_uri({}) == DEFAULT_URI == "test:///default"
    assert default_uri({"LIBVIRT_DEFAULT_URI": "qemu:///system"}) == "qemu:///system"
    assert (
        default_uri({"LIBVIRT_DEFAULT_URI": "qemu:///system", "PYVIRT_DEFAULT_URI": "test:///x.xml"})
        == "test:///x.xml"
    )
    assert default_uri({"PYVIRT_DEFAULT_URI": "", "LIBVIRT_DEFAULT_URI": "qemu:///session"}) == "qemu:///session"


def test_open_uses_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    monkeypatch.setenv("LIBVIRT_DEFAULT_URI", "test:///default")
    monkeypatch.setenv("PYVIRT_DEFAULT_URI", f"test://{node}")
    with pyvirt.open() as conn:
        assert conn.uri == f"test://{node}"
        assert conn.list_domains() == []
    monkeypatch.delenv("PYVIRT_DEFAULT_URI")
    with pyvirt.open() as conn:
        assert conn.uri == "test:///default"


def test_unknown_driver_and_remote_without_driver() -> None:
    with pytest.raises(VirtError) as info:
        pyvirt.open("nosuchdriver:///x")
    assert info.value.code == ErrorNumber.NO_CONNECT
    assert info.value.message == "no connection driver available for nosuchdriver:///x"


def test_registry_lists_test_driver() -> None:
    from pyvirt import registry

    assert "test" in registry.available()
    assert registry.driver_class("test").__name__ == "TestDriver"
    assert registry.driver_class("nosuch") is None


def test_entry_point_declared() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="pyvirt.drivers")}
    assert names.get("test") == "pyvirt.drivers.test:TestDriver"


def test_registered_third_party_driver() -> None:
    """A driver registered under a new scheme is opened for URIs of that scheme."""
    from pyvirt import registry
    from pyvirt.drivers.test import TestDriver

    class Echo(TestDriver):  # type: ignore[misc, valid-type]
        def connect_open(self, uri, flags=0):  # type: ignore[no-untyped-def]
            from pyvirt.uri import parse_uri as p

            super().connect_open(p("test:///default"), flags)
            self._uri = uri

    registry.register("echo", Echo)
    with pyvirt.open("echo:///anything") as conn:
        assert conn.uri == "echo:///anything"
        assert conn.lookup_domain("test").name == "test"
