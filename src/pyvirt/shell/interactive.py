"""The interactive shell: prompt, readline history and completion, virsh's banner.

With a terminal, lines are read through readline (history kept in
``$XDG_CACHE_HOME/pyvirsh/history``; Tab completes command names, the options of the command
being typed, and domain names where a domain is expected).  Without one, virsh echoes each
line after the prompt, and so does pyvirsh, so transcripts look the same.
"""

from __future__ import annotations

import os
import sys

from .control import Control
from .lexer import ScriptLexer
from .options import ParseError, parse_script
from .runner import run_commands

BANNER = (
    "Welcome to virsh, the virtualization interactive terminal.\n\n"
    "Type:  'help' for help with commands\n"
    "       'quit' to quit\n\n"
)


def _history_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pyvirsh", "history")


class Completer:
    """readline completion over the catalog and the live connection."""

    def __init__(self, ctl: Control) -> None:
        self.ctl = ctl
        self.matches: list[str] = []

    def candidates(self, line: str, text: str) -> list[str]:
        """What may replace ``text`` (the word under the cursor) given the line before it."""
        current = line.rsplit(";", 1)[-1]  # only the command being typed matters
        words = current.split()
        before = words[:-1] if text and words else words
        if not before:
            return sorted(n for n in self.ctl.catalog.commands if n.startswith(text))
        cmd = self.ctl.catalog.command(before[0])
        if cmd is None:
            return []
        if text.startswith("-"):
            used = {w[2:].split("=")[0] for w in before if w.startswith("--")}
            return [f"--{o.name}" for o in cmd.opts
                    if f"--{o.name}".startswith(text) and (o.name not in used or o.kind == "argv")]
        wants_domain = cmd.option("domain") is not None and not any(
            w == "--domain" or w.startswith("--domain=") for w in before)
        if wants_domain and self.ctl.conn is not None:
            try:
                names = [d.name for d in self.ctl.conn.list_domains(active=None)]
            except Exception:  # noqa: BLE001 - completion must never break the prompt
                names = []
            return sorted(n for n in names if n.startswith(text))
        return []

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            import readline

            self.matches = self.candidates(readline.get_line_buffer()[: readline.get_endidx()], text)
        return self.matches[state] if state < len(self.matches) else None


def _setup_readline(ctl: Control):
    try:
        import readline
    except ImportError:
        return None
    readline.set_completer(Completer(ctl).complete)
    readline.set_completer_delims(" \t\n;")
    readline.parse_and_bind("tab: complete")
    path = _history_path()
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(500)
    return readline, path


def _save_history(state) -> None:
    if state is None:
        return
    readline, path = state
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        readline.write_history_file(path)
    except OSError:
        pass


def run_interactive(ctl: Control) -> bool:
    """Read, parse and run lines until quit or end of input."""
    ctl.interactive = True
    if not ctl.quiet:
        ctl.print(BANNER)
    tty = sys.stdin.isatty()
    history = _setup_readline(ctl) if tty else None
    try:
        while not ctl.stop:
            prompt = "virsh > " if ctl.readonly else "virsh # "
            try:
                if tty:
                    ctl.out.flush()
                    line = input(prompt)
                else:
                    ctl.print(prompt)
                    ctl.out.flush()
                    line = sys.stdin.readline()
                    if not line:
                        raise EOFError
                    ctl.print(line if line.endswith("\n") else line + "\n")
                    line = line.rstrip("\n")
            except EOFError:
                break
            except KeyboardInterrupt:
                ctl.print("\n")
                continue
            if not line.strip():
                continue
            ctl.debug_log(1, f'commands: "{line}"\n')
            try:
                commands = parse_script(ScriptLexer(line), ctl.catalog, ctl.debug_log)
            except ParseError as exc:
                for message in exc.messages:
                    ctl.error(message)
                continue
            run_commands(ctl, commands)
    finally:
        _save_history(history)
    ctl.print("\n")
    return True
