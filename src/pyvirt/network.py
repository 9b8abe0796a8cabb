"""Public API for virtual networks: the ``Network`` object and the methods ``Connection`` gains for them."""

from __future__ import annotations


class NetworkAPI:
    """Methods mixed into ``Connection`` for virtual networks."""
