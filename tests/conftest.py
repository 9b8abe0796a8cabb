"""Shared fixtures: the libvirt corpus and the live libvirt oracle.

``corpus`` is the directory of libvirt 9.0's test data ($PYVIRT_CORPUS, by default
``<repo>/../shared/corpus/libvirt-9.0.0``); ``libvirt_oracle`` is a libvirt-python connection
to a test driver with an empty node, i.e. libvirt's generic parse with nothing predefined.
Both skip the test, with the reason, when unavailable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def corpus_path() -> Path:
    return Path(os.environ.get("PYVIRT_CORPUS", REPO.parent / "shared" / "corpus" / "libvirt-9.0.0"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_path()
    if not path.is_dir():
        pytest.skip(f"libvirt corpus not found at {path} (set $PYVIRT_CORPUS)")
    return path


@pytest.fixture(scope="session")
def libvirt_oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
    libvirt.registerErrorHandler(lambda *args: None, None)
    node = tmp_path_factory.mktemp("oracle") / "empty.xml"
    node.write_text("<node/>")
    try:
        conn = libvirt.open(f"test://{node}")
    except libvirt.libvirtError as exc:  # pragma: no cover - depends on the host
        pytest.skip(f"libvirt test driver unavailable: {exc}")
    yield conn
    conn.close()
