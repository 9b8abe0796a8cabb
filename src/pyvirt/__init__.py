"""pyvirt: libvirt's virtualization management API, daemon and shell, in Python.

Start here::

    import pyvirt

    with pyvirt.open("test:///default") as conn:
        dom = conn.lookup_domain("test")
        print(dom.state(), dom.info())

``open()`` with no URI uses ``$PYVIRT_DEFAULT_URI``, then ``$LIBVIRT_DEFAULT_URI``, then the
embedded ``test:///default`` hypervisor. Everything a caller can catch is a
:class:`VirtError` with libvirt's code and message.
"""

from __future__ import annotations

from .connection import Connection, open, open_readonly
from .domain import Domain, DomainInfo, DomainJobInfo
from .enums import *  # noqa: F403
from .enums import __all__ as _enum_names
from .errors import ErrorDomain, ErrorNumber, VirtError
from .interface import Interface
from .network import Network
from .nodedev import NodeDevice
from .snapshot import DomainSnapshot
from .storage import StoragePool, StorageVolume

__version__ = "0.1.0"

__all__ = [
    "open",
    "open_readonly",
    "Connection",
    "Domain",
    "DomainInfo",
    "DomainJobInfo",
    "DomainSnapshot",
    "Network",
    "StoragePool",
    "StorageVolume",
    "Interface",
    "NodeDevice",
    "VirtError",
    "ErrorNumber",
    "ErrorDomain",
    "__version__",
    *_enum_names,
]
