"""``mlops-jupyter runs note RUN [TEXT]``: read or replace a run's note from the shell."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register_runs(sub: Any) -> None:
    """Add `note` to the `runs` command group (`sub` is its sub-parsers)."""
    note = sub.add_parser(
        "note", help="show a run's note, or replace it with TEXT ('-' reads stdin, '' clears it)"
    )
    note.add_argument("run_id", help="run id or a unique prefix of it")
    note.add_argument("text", nargs="?", help="the new note (Markdown or plain text)")
    note.set_defaults(func=runs_note)


def runs_note(args: argparse.Namespace) -> int:
    """Print the note (nothing when there is none), or set it and say so."""
    from mlops_jupyter.store import open_store
    from mlops_jupyter.tracking.notes import NOTE_TAG, set_note

    store = open_store(args.store)
    record = store.get_run(args.run_id)
    if args.text is None:
        text = record.tags.get(NOTE_TAG, "")
        if text:
            print(text)
        return 0
    text = sys.stdin.read() if args.text == "-" else args.text
    set_note(store, record.run_id, text)
    verb = "set" if text.strip() else "cleared"
    print(f"note {verb} on run {record.run_id[:8]} ({record.name})")
    return 0
