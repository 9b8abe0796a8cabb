# What other core modules may cimport from pyvirt._core.qmp (see qmp.pyx for the why).

cdef class Message:
    cdef readonly int kind
    cdef readonly object id
    cdef readonly object value
    cdef readonly object name
    cdef readonly object error_class
    cdef readonly object desc
    cdef readonly object timestamp
    cdef readonly object obj


cdef class Decoder:
    cdef bytearray _buf
    cdef readonly Py_ssize_t max_line
    cdef bint _orjson
    cdef int _emit(self, object chunk, Py_ssize_t start, Py_ssize_t end, list out) except -1


cdef Message _classify(object obj)
