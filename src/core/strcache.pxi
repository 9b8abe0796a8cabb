# A direct-mapped cache of short decoded strings, included by the core modules that turn
# libxml2 names and values into Python str on their hot paths.
#
# Tags, paths and most attribute values repeat across elements and documents ('devices/disk',
# 'pci', '0x00'): returning the cached object skips the UTF-8 decode and, as the object keeps
# its hash, the hashing of every dict or set lookup it takes part in afterwards. A slot holds
# the last string that hashed to it; the cache never grows (4096 slots, strings <= 48 bytes).

from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from libc.string cimport memcmp
from libc.stdint cimport uint32_t

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object unicode, Py_ssize_t* size) except NULL

cdef enum:
    _STR_SLOTS = 4096
    _STR_MAX = 48

cdef PyObject* _str_obj[_STR_SLOTS]
cdef Py_ssize_t _str_len[_STR_SLOTS]


cdef object cached_str(const char* s, Py_ssize_t n):
    """``s[:n]`` decoded from UTF-8, shared with earlier identical strings when short."""
    cdef uint32_t h = 2166136261u
    cdef Py_ssize_t i, size
    cdef PyObject* old
    cdef const char* data
    cdef object obj
    if n > _STR_MAX:
        return PyUnicode_DecodeUTF8(s, n, NULL)
    for i in range(n):
        h = (h ^ <unsigned char>s[i]) * 16777619u
    i = h & (_STR_SLOTS - 1)
    old = _str_obj[i]
    if old is not NULL and _str_len[i] == n:
        data = PyUnicode_AsUTF8AndSize(<object>old, &size)
        if size == n and memcmp(data, s, n) == 0:
            return <object>old
    obj = PyUnicode_DecodeUTF8(s, n, NULL)
    Py_INCREF(obj)
    _str_obj[i] = <PyObject*>obj
    _str_len[i] = n
    Py_XDECREF(old)
    return obj
