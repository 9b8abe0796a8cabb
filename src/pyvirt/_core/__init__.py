"""pyvirt's compiled core (Cython): XML parse/format, object locks and jobs, protocol framing.

The extension modules are installed here by the CMake build. Nothing in this package imports
from drivers or the public API.
"""
