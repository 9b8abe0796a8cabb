# Node-level reading and editing of libxml2 trees, included by the core modules that run
# libvirt's domain rules (domain_post, domain_devices, domain_checks). It brings
# strcache.pxi with it: a module includes this file only, after ``import_lxml__etree()``.
#
# The rules touch a few attributes of a few dozen elements per document. Doing that through
# lxml element objects costs a proxy per element and a Python call per attribute; doing it
# on xmlNode* costs a pointer walk and a strcmp. Everything here works on plain (no
# namespace) element and attribute names, as libvirt's domain format uses them.
#
# Ownership rules, so lxml never sees a node it does not expect:
# * nodes are created with libxml2's own constructors, bound from the copy lxml carries
#   (lxml links libxml2 statically; see xmlcore), so they are ordinary nodes to lxml;
# * a node is freed only when no lxml proxy points into its subtree (``_private`` unset);
#   otherwise it is removed through lxml's API, which keeps the proxies valid;
# * text nodes never carry proxies and are freed directly.
#
# Strings returned as ``const char*`` point into the tree: they are valid until that
# attribute or text is changed.

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport strcmp, strlen, strncmp
from lxml.includes cimport tree
from lxml.includes.etreepublic cimport _Document, _Element, elementFactory
from posix.dlfcn cimport RTLD_NOW, dlopen, dlsym

cdef extern from "<dlfcn.h>":
    enum:
        RTLD_NOLOAD

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8(object unicode) except NULL

include "strcache.pxi"

ctypedef tree.xmlNode* Node

ctypedef tree.xmlNode* (*_nx_NewDocNode)(tree.xmlDoc*, tree.xmlNs*, tree.const_xmlChar*, tree.const_xmlChar*) noexcept nogil
ctypedef tree.xmlNode* (*_nx_NewDocText)(tree.xmlDoc*, tree.const_xmlChar*) noexcept nogil
ctypedef tree.xmlNode* (*_nx_AddChild)(tree.xmlNode*, tree.xmlNode*) noexcept nogil
ctypedef tree.xmlNode* (*_nx_AddSibling)(tree.xmlNode*, tree.xmlNode*) noexcept nogil
ctypedef tree.xmlAttr* (*_nx_SetProp)(tree.xmlNode*, tree.const_xmlChar*, tree.const_xmlChar*) noexcept nogil
ctypedef int (*_nx_RemoveProp)(tree.xmlAttr*) noexcept nogil
ctypedef void (*_nx_UnlinkNode)(tree.xmlNode*) noexcept nogil
ctypedef void (*_nx_FreeNode)(tree.xmlNode*) noexcept nogil

cdef _nx_NewDocNode nx_new_doc_node = NULL
cdef _nx_NewDocText nx_new_doc_text = NULL
cdef _nx_AddChild nx_add_child = NULL
cdef _nx_AddSibling nx_add_prev_sibling = NULL
cdef _nx_AddSibling nx_add_next_sibling = NULL
cdef _nx_SetProp nx_set_prop = NULL
cdef _nx_RemoveProp nx_remove_prop = NULL
cdef _nx_UnlinkNode nx_unlink_node = NULL
cdef _nx_FreeNode nx_free_node = NULL


cdef int _nx_bind() except -1:
    global nx_new_doc_node, nx_new_doc_text, nx_add_child, nx_add_prev_sibling
    global nx_add_next_sibling, nx_set_prop, nx_remove_prop, nx_unlink_node, nx_free_node
    from lxml import etree as _etree
    cdef bytes path = _etree.__file__.encode()
    cdef void* handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD)
    if handle is NULL:
        raise ImportError("libxml2's functions are not reachable through lxml")
    nx_new_doc_node = <_nx_NewDocNode>dlsym(handle, "xmlNewDocNode")
    nx_new_doc_text = <_nx_NewDocText>dlsym(handle, "xmlNewDocText")
    nx_add_child = <_nx_AddChild>dlsym(handle, "xmlAddChild")
    nx_add_prev_sibling = <_nx_AddSibling>dlsym(handle, "xmlAddPrevSibling")
    nx_add_next_sibling = <_nx_AddSibling>dlsym(handle, "xmlAddNextSibling")
    nx_set_prop = <_nx_SetProp>dlsym(handle, "xmlSetProp")
    nx_remove_prop = <_nx_RemoveProp>dlsym(handle, "xmlRemoveProp")
    nx_unlink_node = <_nx_UnlinkNode>dlsym(handle, "xmlUnlinkNode")
    nx_free_node = <_nx_FreeNode>dlsym(handle, "xmlFreeNode")
    if (nx_new_doc_node is NULL or nx_new_doc_text is NULL or nx_add_child is NULL
            or nx_add_prev_sibling is NULL or nx_add_next_sibling is NULL or nx_set_prop is NULL
            or nx_remove_prop is NULL or nx_unlink_node is NULL or nx_free_node is NULL):
        raise ImportError("libxml2's functions are not reachable through lxml")
    return 0


_nx_bind()


# -- strings ------------------------------------------------------------------------------------

cdef inline bint streq(const char* a, const char* b) noexcept:
    """Both non-NULL and equal (NULL equals nothing)."""
    return a is not NULL and b is not NULL and strcmp(a, b) == 0


cdef inline bint startswith(const char* s, const char* prefix) noexcept:
    return s is not NULL and strncmp(s, prefix, strlen(prefix)) == 0


cdef inline object ustr(const char* s):
    """``s`` as a Python str (None for NULL); short strings are shared (strcache.pxi)."""
    if s is NULL:
        return None
    return cached_str(s, strlen(s))


cdef inline const char* utf8(object s) except NULL:
    """A Python str's UTF-8 buffer (owned by the str: keep the str alive while using it)."""
    return PyUnicode_AsUTF8(s)


# -- navigation ---------------------------------------------------------------------------------

cdef inline bint is_elem(Node n) noexcept:
    return n.type == tree.XML_ELEMENT_NODE


cdef inline bint is_named(Node n, const char* tag) noexcept:
    """A plain (no namespace) element called ``tag``."""
    return n.type == tree.XML_ELEMENT_NODE and n.ns is NULL and strcmp(<const char*>n.name, tag) == 0


cdef inline const char* name_of(Node n) noexcept:
    return <const char*>n.name


cdef inline Node first_elem(Node parent) noexcept:
    """The first child element (any name, any namespace), or NULL."""
    cdef Node c = parent.children
    while c is not NULL and c.type != tree.XML_ELEMENT_NODE:
        c = c.next
    return c


cdef inline Node next_elem(Node c) noexcept:
    """The next sibling element (any name), or NULL."""
    c = c.next
    while c is not NULL and c.type != tree.XML_ELEMENT_NODE:
        c = c.next
    return c


cdef inline Node child_named(Node parent, const char* tag) noexcept:
    """The first plain child element called ``tag``, or NULL."""
    cdef Node c = parent.children
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL and strcmp(<const char*>c.name, tag) == 0:
            return c
        c = c.next
    return NULL


cdef inline Node next_named(Node c, const char* tag) noexcept:
    """The next plain sibling element called ``tag`` after ``c``, or NULL.

    Loop over all ``<disk>`` children: ``d = child_named(devs, "disk")`` then
    ``while d is not NULL: ...; d = next_named(d, "disk")``.
    """
    c = c.next
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL and strcmp(<const char*>c.name, tag) == 0:
            return c
        c = c.next
    return NULL


cdef inline Py_ssize_t count_named(Node parent, const char* tag) noexcept:
    cdef Py_ssize_t n = 0
    cdef Node c = child_named(parent, tag)
    while c is not NULL:
        n += 1
        c = next_named(c, tag)
    return n


cdef inline Node path2(Node parent, const char* a, const char* b) noexcept:
    """``parent/a/b`` (first matches), or NULL."""
    cdef Node c = child_named(parent, a)
    return NULL if c is NULL else child_named(c, b)


# -- attributes ---------------------------------------------------------------------------------

cdef inline tree.xmlAttr* find_attr(Node n, const char* name) noexcept:
    cdef tree.xmlAttr* a = n.properties
    while a is not NULL:
        if a.ns is NULL and strcmp(<const char*>a.name, name) == 0:
            return a
        a = a.next
    return NULL


cdef inline const char* attr(Node n, const char* name) noexcept:
    """The value of plain attribute ``name``, or NULL when absent ("" when empty).

    Parsed attribute values are one text node (entities are refused at parse time and
    character references are resolved by the parser).
    """
    cdef tree.xmlAttr* a = find_attr(n, name)
    if a is NULL:
        return NULL
    if a.children is NULL or a.children.content is NULL:
        return ""
    return <const char*>a.children.content


cdef inline bint has_attr(Node n, const char* name) noexcept:
    return find_attr(n, name) is not NULL


cdef inline bint attr_is(Node n, const char* name, const char* value) noexcept:
    """Attribute ``name`` is present and equals ``value``."""
    return streq(attr(n, name), value)


cdef inline object attr_str(Node n, const char* name):
    """Attribute ``name`` as a Python str, or None."""
    return ustr(attr(n, name))


cdef inline int set_attr(Node n, const char* name, const char* value) except -1:
    """Set (or replace, in place) a plain attribute; a new one goes last."""
    if nx_set_prop(n, <tree.const_xmlChar*>name, <tree.const_xmlChar*>value) is NULL:
        raise MemoryError()
    return 0


cdef inline int set_attr_s(Node n, const char* name, object value) except -1:
    """:func:`set_attr` with a Python str value."""
    return set_attr(n, name, PyUnicode_AsUTF8(value))


cdef inline int del_attr(Node n, const char* name) except -1:
    """Remove a plain attribute if present (attributes never carry lxml proxies)."""
    cdef tree.xmlAttr* a = find_attr(n, name)
    if a is not NULL:
        nx_remove_prop(a)
    return 0


cdef int move_attr(Node n, const char* name, const char* after) except -1:
    """Relink attribute ``name`` right after ``after`` (first when ``after`` is NULL or
    absent). libvirt writes attributes in a fixed order; a default added by
    :func:`set_attr` lands last and is moved into place with this."""
    cdef tree.xmlAttr* a = find_attr(n, name)
    cdef tree.xmlAttr* anchor = NULL
    if a is NULL:
        return 0
    if after is not NULL:
        anchor = find_attr(n, after)
        if anchor is a:
            return 0
    if a.prev is not NULL:
        a.prev.next = a.next
    else:
        n.properties = a.next
    if a.next is not NULL:
        a.next.prev = a.prev
    if anchor is NULL:
        a.prev = NULL
        a.next = n.properties
        if n.properties is not NULL:
            n.properties.prev = a
        n.properties = a
    else:
        a.prev = anchor
        a.next = anchor.next
        if anchor.next is not NULL:
            anchor.next.prev = a
        anchor.next = a
    return 0


cdef inline int set_attr_first(Node n, const char* name, const char* value) except -1:
    """Set ``name`` and make it the first attribute."""
    set_attr(n, name, value)
    return move_attr(n, name, NULL)


cdef inline int set_attr_after(Node n, const char* after, const char* name, const char* value) except -1:
    """Set ``name`` right after attribute ``after`` (last when ``after`` is absent)."""
    set_attr(n, name, value)
    if find_attr(n, after) is not NULL:
        move_attr(n, name, after)
    return 0


# -- text ---------------------------------------------------------------------------------------

cdef inline const char* text(Node n) noexcept:
    """The element's leading text (lxml's ``.text`` for the usual single text child), or
    NULL when it has none."""
    cdef Node c = n.children
    if c is not NULL and (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE):
        return <const char*>c.content
    return NULL


cdef inline object text_str(Node n):
    """The element's text as a Python str (lxml's ``.text``: adjacent text nodes joined)."""
    cdef Node c = n.children
    if c is NULL or (c.type != tree.XML_TEXT_NODE and c.type != tree.XML_CDATA_SECTION_NODE):
        return None
    if c.next is NULL or (c.next.type != tree.XML_TEXT_NODE and c.next.type != tree.XML_CDATA_SECTION_NODE):
        return ustr(<const char*>c.content)
    out = []
    while c is not NULL and (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE):
        out.append(ustr(<const char*>c.content))
        c = c.next
    return "".join(out)


cdef int set_text(Node n, const char* value) except -1:
    """Replace the element's leading text with ``value`` (NULL: no text)."""
    cdef Node c = n.children
    cdef Node nxt
    cdef Node t
    while c is not NULL and (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE):
        nxt = c.next
        nx_unlink_node(c)
        nx_free_node(c)
        c = nxt
    if value is NULL:
        return 0
    t = nx_new_doc_text(n.doc, <tree.const_xmlChar*>value)
    if t is NULL:
        raise MemoryError()
    if n.children is NULL:
        nx_add_child(n, t)
    else:
        nx_add_prev_sibling(n.children, t)
    return 0


cdef inline int set_text_s(Node n, object value) except -1:
    return set_text(n, NULL if value is None else PyUnicode_AsUTF8(value))


# -- building and removing ----------------------------------------------------------------------

cdef Node add_elem(Node parent, const char* tag, const char* value=NULL) except NULL:
    """Append a new child element ``<tag>value</tag>`` (value NULL: empty) and return it.
    Position among siblings is left to the canonical order pass."""
    cdef Node node = nx_new_doc_node(parent.doc, NULL, <tree.const_xmlChar*>tag, NULL)
    cdef Node t
    if node is NULL:
        raise MemoryError()
    nx_add_child(parent, node)
    if value is not NULL:
        t = nx_new_doc_text(parent.doc, <tree.const_xmlChar*>value)
        if t is NULL:
            raise MemoryError()
        nx_add_child(node, t)
    return node


cdef Node new_elem(tree.xmlDoc* doc, const char* tag) except NULL:
    """A detached element (insert it with :func:`insert_before` / :func:`insert_after`)."""
    cdef Node node = nx_new_doc_node(doc, NULL, <tree.const_xmlChar*>tag, NULL)
    if node is NULL:
        raise MemoryError()
    return node


cdef inline int insert_before(Node anchor, Node node) except -1:
    if nx_add_prev_sibling(anchor, node) is NULL:
        raise MemoryError()
    return 0


cdef inline int insert_after(Node anchor, Node node) except -1:
    if nx_add_next_sibling(anchor, node) is NULL:
        raise MemoryError()
    return 0


cdef bint has_proxy(Node n) noexcept:
    """True when an lxml element object refers to ``n`` or anything below it."""
    cdef Node c
    if n._private is not NULL:
        return True
    c = n.children
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and has_proxy(c):
            return True
        c = c.next
    return False


cdef int remove_node(_Document doc, Node n) except -1:
    """Detach and free element ``n`` (with its subtree).

    When a user holds element objects into that subtree (a re-run of the post-parse through
    ``DomainDef.normalize``), lxml's own ``remove`` is used so those objects stay valid.
    """
    cdef Node parent = n.parent
    if n.type != tree.XML_ELEMENT_NODE or not has_proxy(n):
        nx_unlink_node(n)
        nx_free_node(n)
        return 0
    elementFactory(doc, parent).remove(elementFactory(doc, n))
    return 0


cdef int relink_children(Node parent, Node* order, Py_ssize_t count) except -1:
    """Replace ``parent``'s child list with ``order[0:count]`` (which must be exactly the
    current children, in a new order). No node is copied or freed."""
    cdef Py_ssize_t i
    cdef Node prev = NULL
    for i in range(count):
        order[i].prev = prev
        order[i].next = NULL
        if prev is NULL:
            parent.children = order[i]
        else:
            prev.next = order[i]
        prev = order[i]
    parent.last = prev
    if count == 0:
        parent.children = NULL
    return 0


cdef inline _Element proxy(_Document doc, Node n):
    """The lxml element object for ``n`` (made only where a Python API needs one, e.g.
    error messages that name an element)."""
    return elementFactory(doc, n)
