# cython: language_level=3, boundscheck=False, wraparound=False
"""libvirt's canonical form of an element tree, applied in one C walk from compiled tables.

libvirt's formatters write a fixed set of attributes and child elements, in a fixed order, and
drop everything else. :mod:`pyvirt.conf._shape` describes that per element with ``Shape``
objects; :func:`compile_shape` turns a shape graph into :class:`CompiledShape` tables once (at
first use) and :func:`canonicalize` applies them to a tree without a Python call per element:
unknown attributes are unlinked, duplicate and unknown children removed, stray text freed and
the kept children relinked in the formatter's order. Python code runs only where a shape
declares a normaliser hook, and for the (rare) removal of an element, which goes through
lxml so that element proxies stay valid.

This module knows trees only; it imports nothing from the configuration layer.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport strlen

from lxml.includes cimport tree
from lxml.includes.etreepublic cimport _Document, _Element, elementFactory, import_lxml__etree

from posix.dlfcn cimport RTLD_NOW, dlopen, dlsym

from lxml import etree

import_lxml__etree()

include "strcache.pxi"

cdef extern from "<dlfcn.h>":
    enum:
        RTLD_NOLOAD

ctypedef void (*_UnlinkNode)(tree.xmlNode*) noexcept nogil
ctypedef void (*_FreeNode)(tree.xmlNode*) noexcept nogil
ctypedef int (*_RemoveProp)(tree.xmlAttr*) noexcept nogil

cdef _UnlinkNode c_unlink_node = NULL
cdef _FreeNode c_free_node = NULL
cdef _RemoveProp c_remove_prop = NULL


cdef int _bind() except -1:
    # lxml links libxml2 statically and exports its symbols from the etree module: binding
    # them from there gives the library instance that owns the trees (see xmlcore).
    global c_unlink_node, c_free_node, c_remove_prop
    cdef bytes path = etree.__file__.encode()
    cdef void* handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD)
    if handle is NULL:
        return 0
    c_unlink_node = <_UnlinkNode>dlsym(handle, "xmlUnlinkNode")
    c_free_node = <_FreeNode>dlsym(handle, "xmlFreeNode")
    c_remove_prop = <_RemoveProp>dlsym(handle, "xmlRemoveProp")
    if c_unlink_node is NULL or c_free_node is NULL or c_remove_prop is NULL:
        c_unlink_node = NULL
    return 0


_bind()

#: True when the compiled walk is usable (libxml2's functions were found); when False the
#: configuration layer keeps its pure-Python walk
AVAILABLE = c_unlink_node is not NULL


cdef class CompiledShape:
    """The tables of one ``Shape``: names as Python sets/dicts looked up from C."""

    cdef frozenset attr_names
    cdef dict hooks
    cdef bint keep_unknown
    cdef bint keep_text
    cdef object text_hook
    cdef dict order
    cdef dict subs
    cdef object multi
    cdef long unknown_rank

    def __repr__(self):
        return f"<CompiledShape {sorted(self.order)}>"


def compile_shape(shape, dict memo=None):
    """Compile ``shape`` (and the shapes it nests) into tables; shared sub-shapes once."""
    cdef CompiledShape cs
    if memo is None:
        memo = {}
    cs = memo.get(id(shape))
    if cs is not None:
        return cs
    cs = CompiledShape()
    memo[id(shape)] = cs
    cs.attr_names = frozenset(shape.attrs)
    cs.hooks = {name: hook for name, hook in shape.attrs.items() if hook is not None}
    cs.keep_unknown = bool(shape.keep_unknown)
    cs.keep_text = bool(shape.keep_text)
    cs.text_hook = shape.text
    children = tuple(shape.children)
    cs.order = {tag: i for i, (tag, _) in enumerate(children)}
    cs.unknown_rank = len(cs.order)
    cs.multi = None if shape.multi is None else frozenset(shape.multi)
    cs.subs = {}
    for tag, sub in children:
        if sub is not None and not isinstance(sub, str):
            cs.subs[tag] = compile_shape(sub, memo)
    return cs


cdef inline bint _is_text(tree.xmlNode* c) noexcept:
    return c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE


cdef object _key(tree.xmlNode* c):
    """The tag as lxml spells it: ``name``, or ``{uri}name`` for a namespaced element."""
    cdef const char* name = <const char*>c.name
    if c.ns is NULL or c.ns.href is NULL:
        return cached_str(name, strlen(name))
    return "{%s}%s" % (
        PyUnicode_DecodeUTF8(<const char*>c.ns.href, strlen(<const char*>c.ns.href), NULL),
        PyUnicode_DecodeUTF8(name, strlen(name), NULL),
    )


cdef object _attr_key(tree.xmlAttr* a):
    cdef const char* name = <const char*>a.name
    if a.ns is NULL or a.ns.href is NULL:
        return cached_str(name, strlen(name))
    return "{%s}%s" % (
        PyUnicode_DecodeUTF8(<const char*>a.ns.href, strlen(<const char*>a.ns.href), NULL),
        PyUnicode_DecodeUTF8(name, strlen(name), NULL),
    )


cdef inline void _free_text(tree.xmlNode* c) noexcept:
    # text nodes never have lxml proxies: unlinking and freeing them directly is safe
    c_unlink_node(c)
    c_free_node(c)


cdef int _attributes(_Document doc, tree.xmlNode* node, CompiledShape cs) except -1:
    cdef tree.xmlAttr* a
    cdef tree.xmlAttr* nxt
    cdef object el
    if cs.hooks:
        # hooks get the element and may look around: run them exactly as the Python walk does
        el = elementFactory(doc, node)
        attrib = el.attrib
        for name in attrib.keys():
            hook = cs.hooks.get(name)
            if hook is not None:
                value = hook(attrib[name], el)
                if value is None:
                    del attrib[name]
                else:
                    attrib[name] = value
            elif name not in cs.attr_names and not cs.keep_unknown:
                del attrib[name]
        return 0
    if cs.keep_unknown:
        return 0
    a = node.properties
    while a is not NULL:
        nxt = a.next
        if _attr_key(a) not in cs.attr_names:
            c_remove_prop(a)  # attributes have no proxies either
        a = nxt
    return 0


cdef tree.xmlNode* _skip_text(tree.xmlNode* c) noexcept:
    while c is not NULL and _is_text(c):
        c = c.next
    return c


cdef int _walk(_Document doc, tree.xmlNode* node, CompiledShape cs) except -1:
    cdef tree.xmlNode* c
    cdef tree.xmlNode* nxt
    cdef tree.xmlNode* first_text = NULL
    cdef tree.xmlNode* last_text = NULL
    cdef tree.xmlNode** nodes = NULL
    cdef long* ranks = NULL
    cdef Py_ssize_t count = 0, capacity = 0, i, j
    cdef long rank, last_rank = -1
    cdef bint in_order = True, seen_element = False, leaf = True
    cdef object key, r, parent = None
    cdef CompiledShape sub
    cdef set seen = None
    if node.properties is not NULL:
        _attributes(doc, node, cs)
    c = node.children
    while c is not NULL:
        if not _is_text(c):
            leaf = False
            capacity += 1
        c = c.next
    if leaf:
        if node.children is not NULL:  # el.text is not None
            if cs.text_hook is not None:
                el = elementFactory(doc, node)
                el.text = cs.text_hook(el.text, el)
            elif not cs.keep_text:
                c = node.children
                while c is not NULL:
                    nxt = c.next
                    _free_text(c)
                    c = nxt
        return 0
    nodes = <tree.xmlNode**>PyMem_Malloc(capacity * sizeof(tree.xmlNode*))
    ranks = <long*>PyMem_Malloc(capacity * sizeof(long))
    if nodes is NULL or ranks is NULL:
        PyMem_Free(nodes)
        PyMem_Free(ranks)
        raise MemoryError()
    try:
        if cs.multi is not None:
            seen = set()
        c = node.children
        while c is not NULL:
            nxt = c.next
            if _is_text(c):
                if seen_element:
                    _free_text(c)  # a tail: libvirt keeps no text between elements
                c = nxt
                continue
            seen_element = True
            if c.type != tree.XML_ELEMENT_NODE:
                # comment, processing instruction, entity reference: removed through lxml
                nxt = _skip_text(nxt)
                if parent is None:
                    parent = elementFactory(doc, node)
                parent.remove(elementFactory(doc, c))
                c = nxt
                continue
            key = _key(c)
            if seen is not None and key not in cs.multi:
                if key in seen:
                    nxt = _skip_text(nxt)
                    if parent is None:
                        parent = elementFactory(doc, node)
                    parent.remove(elementFactory(doc, c))  # libvirt reads only the first
                    c = nxt
                    continue
                seen.add(key)
            r = cs.order.get(key)
            if r is None:
                if not cs.keep_unknown:
                    nxt = _skip_text(nxt)
                    if parent is None:
                        parent = elementFactory(doc, node)
                    parent.remove(elementFactory(doc, c))
                    c = nxt
                    continue
                rank = cs.unknown_rank
            else:
                rank = <long>r
                sub = cs.subs.get(key)
                if sub is not None:
                    _walk(doc, c, sub)
            if count >= capacity:
                # only a hook adding siblings under the walk could get here: refuse, not overrun
                raise RuntimeError("the tree changed during the canonical walk")
            if rank < last_rank:
                in_order = False
            else:
                last_rank = rank
            nodes[count] = c
            ranks[count] = rank
            count += 1
            c = nxt
        # leading text (el.text): kept only where the shape keeps text and it is not blank
        c = node.children
        if c is not NULL and _is_text(c):
            first_text = c
            while c is not NULL and _is_text(c):
                last_text = c
                c = c.next
            if not cs.keep_text or not _leading_text(first_text).strip():
                c = first_text
                while c is not NULL and _is_text(c):
                    nxt = c.next
                    _free_text(c)
                    c = nxt
                first_text = last_text = NULL
        if not in_order:
            _stable_sort(nodes, ranks, count)
            _relink(node, first_text, last_text, nodes, count)
    finally:
        PyMem_Free(nodes)
        PyMem_Free(ranks)
    return 0


cdef object _leading_text(tree.xmlNode* c):
    cdef list parts = []
    while c is not NULL and _is_text(c):
        if c.content is not NULL:
            parts.append(PyUnicode_DecodeUTF8(<const char*>c.content, strlen(<const char*>c.content), NULL))
        c = c.next
    return "".join(parts)


cdef void _stable_sort(tree.xmlNode** nodes, long* ranks, Py_ssize_t count) noexcept:
    """Insertion sort by rank (children lists are short; equal ranks keep their order)."""
    cdef Py_ssize_t i, j
    cdef tree.xmlNode* n
    cdef long k
    for i in range(1, count):
        n = nodes[i]
        k = ranks[i]
        j = i - 1
        while j >= 0 and ranks[j] > k:
            nodes[j + 1] = nodes[j]
            ranks[j + 1] = ranks[j]
            j -= 1
        nodes[j + 1] = n
        ranks[j + 1] = k


cdef void _relink(tree.xmlNode* parent, tree.xmlNode* first_text, tree.xmlNode* last_text,
                  tree.xmlNode** nodes, Py_ssize_t count) noexcept:
    """The parent's children become: the kept leading text, then ``nodes`` in order."""
    cdef tree.xmlNode* tail = last_text
    cdef tree.xmlNode* c
    cdef Py_ssize_t i
    if first_text is NULL:
        parent.children = NULL
    for i in range(count):
        c = nodes[i]
        c.prev = tail
        c.next = NULL
        if tail is NULL:
            parent.children = c
        else:
            tail.next = c
        tail = c
    parent.last = tail


def canonicalize(_Element element not None, CompiledShape shape not None):
    """Bring ``element`` (in place) into the canonical form ``shape`` describes."""
    if c_unlink_node is NULL:
        raise RuntimeError("libxml2 functions not bound: use the Python walk")
    _walk(element._doc, element._c_node, shape)
