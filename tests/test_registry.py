"""The driver registry: built-in schemes open without any installed package metadata.

A source checkout that was never ``pip install``-ed has no ``pyvirt.drivers`` entry points, so
``test`` and ``qemu`` must come from the registry's own table; installed entry points add to it
but never replace a built-in.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

import pyvirt
from pyvirt import registry

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SimpleNamespace]]:
    """The registry as a process with the given entry points (none by default) would build it."""
    installed: list[SimpleNamespace] = []
    monkeypatch.setattr(registry, "entry_points", lambda group: list(installed) if group == "pyvirt.drivers" else [])
    monkeypatch.setattr(registry, "_targets", None)
    yield installed
    registry._targets = None  # the next user reloads the real entry points


def test_builtin_schemes_without_entry_points(fresh_registry: list[SimpleNamespace], tmp_path: Path) -> None:
    assert {"test", "qemu"} <= set(registry.available())
    from pyvirt.drivers.qemu import QemuDriver
    from pyvirt.drivers.test import TestDriver

    assert registry.driver_class("qemu") is QemuDriver
    assert registry.driver_class("test") is TestDriver
    with pyvirt.open(f"qemu:///embed?root={tmp_path / 'r'}") as conn:
        assert conn.type() == "QEMU"
        assert conn.list_domains() == []
    with pyvirt.open("test:///default") as conn:
        assert conn.lookup_domain("test").name == "test"


def test_entry_points_add_schemes_but_never_replace_builtins(fresh_registry: list[SimpleNamespace]) -> None:
    fresh_registry.append(SimpleNamespace(name="qemu", value="nowhere.at.all:Driver"))
    fresh_registry.append(SimpleNamespace(name="extra", value="pyvirt.drivers.test:TestDriver"))
    from pyvirt.drivers.qemu import QemuDriver
    from pyvirt.drivers.test import TestDriver

    assert registry.driver_class("qemu") is QemuDriver
    assert registry.driver_class("extra") is TestDriver


def test_declared_entry_points_match_the_builtin_table() -> None:
    """An installed pyvirt and a bare checkout resolve every built-in scheme the same way."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = project["project"]["entry-points"]["pyvirt.drivers"]
    assert declared == {name: registry.BUILTIN[name] for name in declared}
    assert set(declared) == set(registry.BUILTIN)
