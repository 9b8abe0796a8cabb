"""virsh's script tokenizer: how one command string becomes commands and arguments.

Rules (learnt from virsh 9.0's behaviour):
- blanks (space, tab) separate arguments; ``;`` or a newline ends a command;
- a backslash outside single quotes escapes the next character, and a backslash-newline pair
  vanishes entirely; a trailing lone backslash is an error ("dangling \\");
- single quotes keep everything literally (an unclosed one simply runs to the end);
- double quotes group, with backslash escapes still active; an unclosed one is an error
  ("missing \\"");
- an argument that *starts* with ``#`` comments out the rest of the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum


class Token(Enum):
    ARG = "arg"
    END_COMMAND = "end-command"
    END = "end"


class LexError(Exception):
    """A syntax error virsh reports as ``error: <message>``."""


class ScriptLexer:
    """Pulls tokens one at a time, so parse errors surface in virsh's order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def next(self) -> tuple[Token, str]:
        text, n = self.text, len(self.text)
        p = self.pos
        while p < n:
            ch = text[p]
            if ch in " \t":
                p += 1
            elif ch == "\\" and p + 1 < n and text[p + 1] == "\n":
                p += 2
            else:
                break
        if p >= n:
            self.pos = p
            return Token.END, ""
        ch = text[p]
        if ch in ";\n":
            self.pos = p + 1
            return Token.END_COMMAND, ""
        if ch == "#":
            end = text.find("\n", p)
            self.pos = n if end < 0 else end + 1
            return Token.END_COMMAND, ""
        out: list[str] = []
        single = double = False
        while p < n:
            ch = text[p]
            if not single and not double and ch in " \t;\n":
                break
            if not double and ch == "'":
                single = not single
                p += 1
                continue
            if not single and ch == "\\":
                p += 1
                if p >= n:
                    raise LexError("dangling \\")
                if text[p] == "\n":
                    p += 1
                    continue
            elif not single and ch == '"':
                double = not double
                p += 1
                continue
            out.append(text[p])
            p += 1
        if double:
            raise LexError('missing "')
        self.pos = p
        return Token.ARG, "".join(out)


class ArgvLexer:
    """Tokens from an already-split argv (``virsh CMD ARG...``): one command, no quoting."""

    def __init__(self, argv: list[str]) -> None:
        self._items: Iterator[str] = iter(argv)

    def next(self) -> tuple[Token, str]:
        for item in self._items:
            return Token.ARG, item
        return Token.END, ""
