# cython: language_level=3, boundscheck=False, wraparound=False
"""libvirt's canonical form of an element tree, applied in one C walk from compiled tables.

libvirt's formatters write a fixed set of attributes and child elements, in a fixed order, and
drop everything else. :mod:`pyvirt.conf._shape` describes that per element with ``Shape``
objects; :func:`compile_shape` turns a shape graph into :class:`CompiledShape` tables once (at
first use) and :func:`canonicalize` applies them to a tree: unknown attributes are unlinked,
duplicate and unknown children removed, stray text freed and the kept children relinked in
the formatter's order.

The tables hold plain (no namespace) names as C strings, so an element of a typical document
costs pointer walks and strcmp, no Python object. Python code runs only where a shape declares
a normaliser hook, for namespaced names (looked up by their ``{uri}name`` key) and for the
removal of an element an lxml proxy points into (done through lxml, so the proxy stays valid).

This module knows trees only; it imports nothing from the configuration layer.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc

from lxml.includes.etreepublic cimport import_lxml__etree

import_lxml__etree()

include "nodeops.pxi"

#: the compiled walk is usable (kept for the configuration layer's dispatch; the binding of
#: libxml2's functions fails the import instead)
AVAILABLE = True

cdef enum:
    # children beyond this rank fall back to a Python set for the "first occurrence only" rule
    _SEEN_BITS = 64


cdef class CompiledShape:
    """The tables of one ``Shape``: plain names as C strings, namespaced ones as Python keys."""

    cdef bytes _names           # owner of the C strings below (NUL-separated)
    cdef const char** attr_names
    cdef Py_ssize_t n_attrs
    cdef frozenset attr_keys    # every declared attribute key (namespaced ones included)
    cdef dict hooks
    cdef bint keep_unknown
    cdef bint keep_text
    cdef object text_hook
    cdef const char** child_names
    cdef long* child_ranks
    cdef bint* child_multi
    cdef list child_subs        # CompiledShape or None, per entry of child_names
    cdef Py_ssize_t n_children
    cdef dict order             # every declared child key -> rank (namespaced ones included)
    cdef dict subs
    cdef object multi
    cdef long unknown_rank

    def __dealloc__(self):
        PyMem_Free(self.attr_names)
        PyMem_Free(self.child_names)
        PyMem_Free(self.child_ranks)
        PyMem_Free(self.child_multi)

    def __repr__(self):
        return f"<CompiledShape {sorted(self.order)}>"


cdef bint _plain_key(str key):
    return not key.startswith("{")


def compile_shape(shape, dict memo=None):
    """Compile ``shape`` (and the shapes it nests) into tables; shared sub-shapes once."""
    cdef CompiledShape cs
    cdef Py_ssize_t i, offset
    cdef const char* base
    if memo is None:
        memo = {}
    cs = memo.get(id(shape))
    if cs is not None:
        return cs
    cs = CompiledShape()
    memo[id(shape)] = cs
    cs.attr_keys = frozenset(shape.attrs)
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
    plain_attrs = [k for k in cs.attr_keys if _plain_key(k)]
    plain_children = [k for k in cs.order if _plain_key(k)]
    cs._names = b"".join(k.encode() + b"\0" for k in plain_attrs + plain_children)
    cs.n_attrs = len(plain_attrs)
    cs.n_children = len(plain_children)
    cs.attr_names = <const char**>PyMem_Malloc((cs.n_attrs + 1) * sizeof(const char*))
    cs.child_names = <const char**>PyMem_Malloc((cs.n_children + 1) * sizeof(const char*))
    cs.child_ranks = <long*>PyMem_Malloc((cs.n_children + 1) * sizeof(long))
    cs.child_multi = <bint*>PyMem_Malloc((cs.n_children + 1) * sizeof(bint))
    if cs.attr_names is NULL or cs.child_names is NULL or cs.child_ranks is NULL or cs.child_multi is NULL:
        raise MemoryError()
    base = <const char*>cs._names
    offset = 0
    for i in range(cs.n_attrs):
        cs.attr_names[i] = base + offset
        offset += len(plain_attrs[i].encode()) + 1
    cs.child_subs = []
    for i in range(cs.n_children):
        key = plain_children[i]
        cs.child_names[i] = base + offset
        offset += len(key.encode()) + 1
        cs.child_ranks[i] = cs.order[key]
        cs.child_multi[i] = cs.multi is None or key in cs.multi
        cs.child_subs.append(cs.subs.get(key))
    return cs


cdef inline bint _is_text(Node c) noexcept:
    return c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE


cdef object _key(Node c):
    """The tag as lxml spells it: ``name``, or ``{uri}name`` for a namespaced element."""
    if c.ns is NULL or c.ns.href is NULL:
        return ustr(<const char*>c.name)
    return "{%s}%s" % (ustr(<const char*>c.ns.href), ustr(<const char*>c.name))


cdef object _attr_key(tree.xmlAttr* a):
    if a.ns is NULL or a.ns.href is NULL:
        return ustr(<const char*>a.name)
    return "{%s}%s" % (ustr(<const char*>a.ns.href), ustr(<const char*>a.name))


cdef inline void _free_text(Node c) noexcept:
    # text nodes never have lxml proxies: unlinking and freeing them directly is safe
    nx_unlink_node(c)
    nx_free_node(c)


cdef Node _skip_text(Node c) noexcept:
    while c is not NULL and _is_text(c):
        c = c.next
    return c


cdef Node _drop(_Document doc, Node parent, Node c) except? NULL:
    """Remove child ``c`` and return the node the walk continues with.

    Without proxies the node alone is unlinked and freed (its tail text stays and is freed
    by the walk as any text between elements); with one, lxml removes it and its tail.
    """
    cdef Node nxt = c.next
    if c._private is NULL and (c.type != tree.XML_ELEMENT_NODE or not has_proxy(c)):
        nx_unlink_node(c)
        nx_free_node(c)
        return nxt
    nxt = _skip_text(nxt)
    elementFactory(doc, parent).remove(elementFactory(doc, c))
    return nxt


cdef inline bint _same(const char* a, const char* b) noexcept:
    """``strcmp(a, b) == 0`` inline: names are short, most differ in their first byte, and
    a libc call per candidate costs more than the compare."""
    while a[0] == b[0]:
        if a[0] == 0:
            return True
        a += 1
        b += 1
    return False


cdef inline Py_ssize_t _find_name(const char** names, Py_ssize_t n, const char* name) noexcept:
    cdef Py_ssize_t i
    for i in range(n):
        if _same(names[i], name):
            return i
    return -1


cdef int _attributes(_Document doc, Node node, CompiledShape cs) except -1:
    cdef tree.xmlAttr* a
    cdef tree.xmlAttr* nxt
    cdef object el
    if cs.hooks:
        # hooks get the element and may look around: run them on the element object
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
            elif name not in cs.attr_keys and not cs.keep_unknown:
                del attrib[name]
        return 0
    if cs.keep_unknown:
        return 0
    a = node.properties
    while a is not NULL:
        nxt = a.next
        if a.ns is NULL:
            if _find_name(cs.attr_names, cs.n_attrs, <const char*>a.name) < 0:
                nx_remove_prop(a)  # attributes have no proxies either
        elif _attr_key(a) not in cs.attr_keys:
            nx_remove_prop(a)
        a = nxt
    return 0


cdef int _walk(_Document doc, Node node, CompiledShape cs) except -1:
    cdef Node c
    cdef Node nxt
    cdef Node first_text = NULL
    cdef Node last_text = NULL
    cdef Node* nodes = NULL
    cdef long* ranks = NULL
    cdef Py_ssize_t count = 0, capacity = 0, i
    cdef long rank, last_rank = -1
    cdef bint in_order = True, seen_element = False, leaf = True, multi
    cdef unsigned long long seen_bits = 0
    cdef object key, r
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
    nodes = <Node*>PyMem_Malloc(capacity * sizeof(Node))
    ranks = <long*>PyMem_Malloc(capacity * sizeof(long))
    if nodes is NULL or ranks is NULL:
        PyMem_Free(nodes)
        PyMem_Free(ranks)
        raise MemoryError()
    try:
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
                # comment, processing instruction: libvirt keeps none
                c = _drop(doc, node, c)
                continue
            sub = None
            if c.ns is NULL:
                i = _find_name(cs.child_names, cs.n_children, <const char*>c.name)
                if i >= 0:
                    rank = cs.child_ranks[i]
                    multi = cs.child_multi[i]
                    sub = <CompiledShape>cs.child_subs[i]
                else:
                    rank = -1
                    multi = cs.multi is None
                key = None
            else:
                key = _key(c)
                r = cs.order.get(key)
                rank = -1 if r is None else <long>r
                multi = cs.multi is None or key in cs.multi
                sub = cs.subs.get(key)
            if rank < 0 and not cs.keep_unknown:
                c = _drop(doc, node, c)
                continue
            if not multi:
                # libvirt reads only the first of a tag that may not repeat
                if 0 <= rank < _SEEN_BITS:
                    if seen_bits & (1ULL << rank):
                        c = _drop(doc, node, c)
                        continue
                    seen_bits |= 1ULL << rank
                else:
                    if key is None:
                        key = _key(c)
                    if seen is None:
                        seen = set()
                    elif key in seen:
                        c = _drop(doc, node, c)
                        continue
                    seen.add(key)
            if rank < 0:
                rank = cs.unknown_rank
            elif sub is not None:
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


cdef object _leading_text(Node c):
    cdef list parts = []
    while c is not NULL and _is_text(c):
        if c.content is not NULL:
            parts.append(ustr(<const char*>c.content))
        c = c.next
    return "".join(parts)


cdef void _stable_sort(Node* nodes, long* ranks, Py_ssize_t count) noexcept:
    """Insertion sort by rank (children lists are short; equal ranks keep their order)."""
    cdef Py_ssize_t i, j
    cdef Node n
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


cdef void _relink(Node parent, Node first_text, Node last_text, Node* nodes, Py_ssize_t count) noexcept:
    """The parent's children become: the kept leading text, then ``nodes`` in order."""
    cdef Node tail = last_text
    cdef Node c
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
    _walk(element._doc, element._c_node, shape)


cdef long _rank(CompiledShape cs, Node c):
    """The child's place in the formatter's order (unknown names and non-elements last)."""
    cdef Py_ssize_t i
    if c.type != tree.XML_ELEMENT_NODE:
        return cs.unknown_rank
    if c.ns is NULL:
        i = _find_name(cs.child_names, cs.n_children, <const char*>c.name)
        return cs.unknown_rank if i < 0 else cs.child_ranks[i]
    r = cs.order.get(_key(c))
    return cs.unknown_rank if r is None else <long>r


def order(_Element element not None, CompiledShape shape not None):
    """Put ``element``'s known children in the formatter's order, the others (unknown names,
    comments) after them in their own order; nothing is removed, and the text following a
    child moves with it. A no-op on a tree already in order."""
    cdef Node parent = element._c_node
    cdef Node c
    cdef Node* nodes
    cdef long* ranks
    cdef Py_ssize_t count = 0, i
    cdef long rank, last = -1
    cdef bint in_order = True
    c = parent.children
    while c is not NULL:
        if not _is_text(c):
            rank = _rank(shape, c)
            if rank < last:
                in_order = False
            last = rank
            count += 1
        c = c.next
    if in_order:
        return
    nodes = <Node*>PyMem_Malloc(count * sizeof(Node))
    ranks = <long*>PyMem_Malloc(count * sizeof(long))
    if nodes is NULL or ranks is NULL:
        PyMem_Free(nodes)
        PyMem_Free(ranks)
        raise MemoryError()
    try:
        i = 0
        c = parent.children
        while c is not NULL:
            if not _is_text(c):
                nodes[i] = c
                ranks[i] = _rank(shape, c)
                i += 1
            c = c.next
        _stable_sort(nodes, ranks, count)
        _relink_with_tails(parent, nodes, count)
    finally:
        PyMem_Free(nodes)
        PyMem_Free(ranks)


cdef void _relink_with_tails(Node parent, Node* nodes, Py_ssize_t count) noexcept:
    """The parent's children become: its leading text, then each of ``nodes`` followed by
    the text that followed it."""
    cdef Node tail = NULL
    cdef Node c, nxt, last
    cdef Py_ssize_t i
    c = parent.children
    while c is not NULL and _is_text(c):
        tail = c
        c = c.next
    if tail is NULL:
        parent.children = NULL
    for i in range(count):
        c = nodes[i]
        last = c
        nxt = c.next
        while nxt is not NULL and _is_text(nxt):
            last = nxt
            nxt = nxt.next
        # the node and its tail texts move as one run
        c.prev = tail
        if tail is NULL:
            parent.children = c
        else:
            tail.next = c
        tail = last
    if tail is not NULL:
        tail.next = NULL
    parent.last = tail
