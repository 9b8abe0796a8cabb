"""Printing XML documents as virsh does, including ``--xpath`` selections (``--wrap``)."""

from __future__ import annotations

from .control import CommandError, Control
from .options import ParsedCommand
from .util import opt_string


def print_xml(ctl: Control, cmd: ParsedCommand, xml: str) -> bool:
    """Print an XML document, or with ``--xpath`` the matching nodes (``--wrap``: in <nodes>).

    Matches virsh: nodes are serialised as libxml2 does (re-indented, double-quoted
    attributes), one per line; an expression that is not a node set is an error; a syntax
    error only gets libxml2's own complaint.
    """
    xpath = opt_string(cmd, "xpath") if cmd.cmd.option("xpath") else None
    if xpath is None:
        ctl.print(xml)
        return True
    from lxml import etree

    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(xml.encode(), parser)
    try:
        result = root.getroottree().xpath(xpath)
    except etree.XPathError:
        ctl.out.flush()
        ctl.err.write("XPath error : Invalid expression\n")
        ctl.err.flush()
        return True
    if not isinstance(result, list):
        raise CommandError(f"internal error: Incorrect xpath '{xpath}'")
    if cmd.flag("wrap"):
        wrapper = etree.Element("nodes")
        for node in result:
            if isinstance(node, etree._Element):
                wrapper.append(_copy(node))
            elif getattr(node, "is_text", False) or getattr(node, "is_tail", False):
                if len(wrapper):
                    wrapper[-1].tail = (wrapper[-1].tail or "") + str(node)
                else:
                    wrapper.text = (wrapper.text or "") + str(node)
        ctl.print(_dump(wrapper) + "\n")
        return True
    out = []
    for node in result:
        if isinstance(node, etree._Element):
            out.append(_dump(_copy(node)))
        elif getattr(node, "is_attribute", False):
            value = str(node).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            out.append(f' {node.attrname}="{value}"')
        else:
            out.append(str(node))
    ctl.print("".join(f"{text}\n" for text in out))
    return True


def _dump(node) -> str:
    from lxml import etree

    return etree.tostring(node, pretty_print=True, encoding="unicode", with_tail=False).rstrip("\n")


def _copy(node):
    from copy import deepcopy

    copied = deepcopy(node)
    copied.tail = None
    return copied
