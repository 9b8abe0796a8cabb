"""pyvirt: libvirt's virtualization management API, daemon and shell, in Python."""

from __future__ import annotations

from .errors import ErrorDomain, ErrorNumber, VirtError

__version__ = "0.1.0"

__all__ = ["VirtError", "ErrorNumber", "ErrorDomain", "__version__"]
