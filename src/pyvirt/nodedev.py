"""Public API for node devices: the ``NodeDevice`` object and the methods ``Connection`` gains for them."""

from __future__ import annotations


class NodeDeviceAPI:
    """Methods mixed into ``Connection`` for node devices."""
