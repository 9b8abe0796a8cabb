"""``TestDriver``: the test hypervisor's driver, one class made of the per-family parts.

The parts are mixins, one module each: :mod:`.host` (connection and host calls),
:mod:`.domains`, :mod:`.guest` (guest statistics and agent-style calls), :mod:`.tuning`
(memory/NUMA/bandwidth/perf tunables, CPU pinning), and the families :mod:`.snapshots` (``TestSnapshots``), :mod:`.networks`
(``TestNetworks``), :mod:`.storage` (``TestStorage``), :mod:`.interfaces` (``TestInterfaces``)
and :mod:`.nodedevs` (``TestNodeDevices``). Every part works on ``self._state``, the
:class:`~.state.TestState` this connection opened; methods no part implements fall through
to :class:`pyvirt.driver.Driver`, which reports VIR_ERR_NO_SUPPORT.
"""

from __future__ import annotations

import importlib

from ...driver import Driver
from ...errors import ErrorNumber
from ...uri import URI
from .domains import TestDomains
from .guest import TestDomainGuest
from .host import TestHost
from .state import TestState, acquire_default, release, test_error
from .tuning import TestDomainTuning

__all__ = ["TestDriver"]

_CONNECT_RO = 1

#: (module, class) of each family part, in method-resolution order
_FAMILY_PARTS = (
    ("snapshots", "TestSnapshots"),
    ("networks", "TestNetworks"),
    ("storage", "TestStorage"),
    ("interfaces", "TestInterfaces"),
    ("nodedevs", "TestNodeDevices"),
)


def _family_parts() -> tuple[type, ...]:
    parts = []
    for module_name, class_name in _FAMILY_PARTS:
        full = f"{__package__}.{module_name}"
        try:
            module = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
            continue
        part = getattr(module, class_name, None)
        if part is not None:
            parts.append(part)
    return tuple(parts)


class _TestDriverBase(TestHost, TestDomains, TestDomainGuest, TestDomainTuning):
    """Opening, closing and authentication; the state every part works on."""

    def __init__(self) -> None:
        self._state: TestState | None = None  # type: ignore[assignment]
        self._uri: URI | None = None  # type: ignore[assignment]
        self._flags = 0

    def connect_open(self, uri: URI, flags: int = 0, auth: tuple[str, str | None] | None = None) -> None:
        """testConnectOpen: test:///default shares one state, test:///PATH.xml loads a file."""
        path = uri.path
        if path in ("", "/"):
            raise test_error(ErrorNumber.INVALID_ARG, "testOpen: supply a path or use test:///default")
        if path == "/default":
            state = acquire_default()
        else:
            from .nodefile import load_node_file

            state = load_node_file(path)
            state.refs = 1
        if state.auth_users and not _authenticated(state, auth):
            release(state)
            raise test_error(
                ErrorNumber.AUTH_FAILED,
                "authentication failed, see test XML for the correct username/password",
            )
        self._state = state
        self._uri = uri
        self._flags = flags

    def connect_close(self) -> None:
        state, self._state = self._state, None
        if state is not None:
            release(state)

    @property
    def state(self) -> TestState:
        """The hypervisor state this connection talks to (for tests and tools)."""
        assert self._state is not None
        return self._state


def _authenticated(state: TestState, auth: tuple[str, str | None] | None) -> bool:
    if auth is None:
        return False
    user, password = auth
    for name, expected in state.auth_users:
        if name == user:
            return expected is None or expected == password
    return False


TestDriver = type(
    "TestDriver",
    (_TestDriverBase, *_family_parts(), Driver),
    {
        "__doc__": "The test hypervisor (libvirt's test:/// driver), in memory.",
        "__module__": __name__,
    },
)
