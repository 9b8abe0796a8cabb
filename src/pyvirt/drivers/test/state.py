"""One test "hypervisor": the in-memory state a test:// connection talks to.

libvirt's test driver keeps everything in one ``testDriver`` structure: node info, NUMA cells,
the domain list, networks, interfaces, pools, node devices, the event queue. Every
``test:///default`` connection in a process shares one of them (so an event caused on one
connection is seen on another); each ``test:///PATH.xml`` connection gets its own.

The object families other than domains live in their own modules
(``snapshots``, ``networks``, ``storage``, ``interfaces``, ``nodedevs``). Each may define
module-level hooks that this state calls, so adding a family never touches this file:

``init_state(state)``
    add the family's collections as attributes of ``state`` (called once, when created);
``load_node(state, node_el, base_dir)``
    load the family's objects from a parsed ``<node>`` document (``file=`` includes are
    resolved relative to ``base_dir``; see :func:`pyvirt.drivers.test.nodefile.resolve_include`);
``init_domain(state, obj)``
    set up per-domain fields (e.g. ``obj.snapshots``) on every new domain object;
``load_domain_snapshots(state, obj, elements, base_dir)``
    (snapshots only) predefined ``<test:domainsnapshot>`` elements of one domain;
``close_state(state)``
    release anything the family holds when the state is dropped.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ...driver.connect import NodeInfo
from ...errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from ...events import EventBus
from ...objects.domain import DomainObject
from ...objects.domainlist import DomainList
from .objlist import HostObject

if TYPE_CHECKING:
    from ...conf import DomainDef

__all__ = ["TestState", "Cell", "family_modules", "check_flags", "DEFAULT_NODE_INFO", "test_error"]

#: libvirt's defaultNodeInfo: i686, 3 GiB, 16 CPUs at 1400 MHz, 2 nodes x 2 sockets x 2 x 2
DEFAULT_NODE_INFO = NodeInfo("i686", 3 * 1024 * 1024, 16, 1400, 2, 2, 2, 2)

#: the maximum vCPU count the test hypervisor reports (virConnectGetMaxVcpus)
MAX_VCPUS = 32

#: per-family modules, in the order libvirt loads a node file (after domains)
FAMILY_MODULE_NAMES = ("snapshots", "networks", "interfaces", "storage", "nodedevs")

_families: list[ModuleType] | None = None
_families_lock = threading.Lock()


def family_modules() -> list[ModuleType]:
    """The family modules that exist (a module still being written is skipped)."""
    global _families
    with _families_lock:
        if _families is None:
            found = []
            for name in FAMILY_MODULE_NAMES:
                full = f"{__package__}.{name}"
                try:
                    found.append(importlib.import_module(full))
                except ModuleNotFoundError as exc:
                    if exc.name != full:
                        raise
            _families = found
        return _families


_hooks: dict[str, tuple[Any, ...]] = {}


def call_hooks(hook: str, *args: Any) -> None:
    """Call ``hook(*args)`` on every family module that defines it."""
    fns = _hooks.get(hook)
    if fns is None:
        fns = _hooks[hook] = tuple(
            fn for fn in (getattr(m, hook, None) for m in family_modules()) if fn is not None
        )
    for fn in fns:
        fn(*args)


def test_error(code: int, detail: str | None = None) -> VirtError:
    """An error reported by the test driver (libvirt's VIR_FROM_TEST domain)."""
    return virt_error(code, detail, domain=ErrorDomain.TEST)


def check_flags(flags: int, allowed: int, function: str) -> None:
    """libvirt's virCheckFlags: unknown bits are VIR_ERR_INVALID_ARG naming the C function."""
    extra = int(flags) & ~int(allowed)
    if extra:
        text = f"unsupported flags (0x{extra:x}) in function {function}"
        raise virt_error(ErrorNumber.INVALID_ARG, text, domain=ErrorDomain.TEST, message=text)


@dataclass
class Cell:
    """One NUMA cell of the fake host: memory in KiB, free memory in KiB, CPU ids."""

    memory: int
    free_memory: int
    cpus: list[int] = field(default_factory=list)


class TestState:
    """Everything one test hypervisor holds; shared by the connections that opened it."""

    def __init__(self, *, source: str = "(test driver)") -> None:
        #: what the state was loaded from (a path, or "(test driver)" for the default)
        self.source = source
        #: libvirt's driver lock: serialises define/create/restore name and uuid checks,
        #: never held while waiting for a domain job
        self.lock = threading.RLock()
        self.domains = DomainList(first_id=1)
        self.events = EventBus()
        self.node_info = DEFAULT_NODE_INFO
        self.cells: list[Cell] = []
        #: (username, password or None) from <auth>; empty means no authentication
        self.auth_users: list[tuple[str, str | None]] = []
        self.refs = 0
        self._caps_xml: str | None = None
        #: True while the built-in default document loads: families may then keep their
        #: objects' definitions unparsed until first use (see :class:`DeferredHostObject`)
        self.deferred_parse = False
        call_hooks("init_state", self)

    # -- domain objects --------------------------------------------------------------------------

    def new_domain_object(self, definition: DomainDef) -> DomainObject:
        """A fresh, inactive domain object for ``definition`` with every family's fields set."""
        obj = DomainObject(definition)
        call_hooks("init_domain", self, obj)
        return obj

    # -- capabilities ----------------------------------------------------------------------------

    def capabilities_xml(self) -> str:
        """The host capabilities document (built once; it depends only on the cells)."""
        if self._caps_xml is None:
            from .host import build_capabilities

            self._caps_xml = build_capabilities(self)
        return self._caps_xml

    def close(self) -> None:
        """Drop the state: stop event delivery and let families release what they hold."""
        call_hooks("close_state", self)
        self.events.close()


# -- definitions parsed on first use ----------------------------------------------------------

#: taken while a deferred definition is parsed, so two first readers get the same object
deferred_lock = threading.Lock()


class DeferredHostObject(HostObject):
    """A network, pool or interface of the built-in default document, parsed on first use.

    The default document is a constant known to be valid, and most programs that open
    test:///default never look at its network, pool or interface: parsing them (and
    importing their XML models, about 20 ms of compiling without bytecode) is left to the
    first call that reads ``definition``. Name and uuid, which lookups and listings use,
    are given up front.
    """

    __slots__ = ("_parse",)

    def __init__(
        self, parse: Any, name: str, uuid: str, *, persistent: bool = True, active: bool = False
    ) -> None:
        self._parse = parse
        self._definition = None
        self.name = name
        self.uuid = uuid.lower()
        self.new_definition = None
        self.active = active
        self.persistent = persistent
        self.autostart = False
        self.data = {}

    @property
    def definition(self) -> Any:
        if self._parse is not None:
            with deferred_lock:
                parse = self._parse
                if parse is not None:
                    HostObject.definition.fset(self, parse())  # type: ignore[attr-defined]
                    self._parse = None
        return self._definition

    @definition.setter
    def definition(self, value: Any) -> None:
        with deferred_lock:
            self._parse = None
            HostObject.definition.fset(self, value)  # type: ignore[attr-defined]


# -- the shared test:///default state ----------------------------------------------------------

_default_lock = threading.Lock()
_default_state: TestState | None = None


def acquire_default() -> TestState:
    """The process-wide test:///default state, created on first use (libvirt's defaultPrivconn)."""
    global _default_state
    with _default_lock:
        if _default_state is None:
            from .defaults import build_default_state

            _default_state = build_default_state()
        _default_state.refs += 1
        return _default_state


def release(state: TestState) -> None:
    """One connection is done with ``state``; the last one drops it, as libvirt does.

    For test:///default this means a new connection after all were closed sees the pristine
    default objects again.
    """
    global _default_state
    with _default_lock:
        state.refs -= 1
        if state.refs > 0:
            return
        if state is _default_state:
            _default_state = None
    state.close()


def raise_no_domain_uuid(uuid: str, name: str) -> VirtError:
    """The error for a ref whose domain disappeared (testDomObjFromDomain's wording)."""
    return test_error(ErrorNumber.NO_DOMAIN, f"no domain with matching uuid '{uuid}' ({name})")
