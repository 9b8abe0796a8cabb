"""Public API for host interfaces: the ``Interface`` object and the methods ``Connection`` gains for them."""

from __future__ import annotations


class InterfaceAPI:
    """Methods mixed into ``Connection`` for host interfaces."""
