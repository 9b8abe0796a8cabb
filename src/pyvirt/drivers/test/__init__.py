"""The test hypervisor (``test:///default`` and ``test:///PATH.xml``): libvirt's in-memory driver.

Registered under the URI scheme ``test`` through the ``pyvirt.drivers`` entry point group.
"""

from .driver import TestDriver

__all__ = ["TestDriver"]
