"""The reindex command's progress line on stderr, and counted nouns."""

import time
from pathlib import Path


def counted(count: int, unit: str) -> str:
    """"1 document", "2 documents", "1,396 documents"."""
    return f"{count:,} {unit}{'' if count == 1 else 's'}"


class ProgressLine:
    """Draws a reindex's progress on stderr: documents written, files read, rate.

    On a terminal one line is redrawn in place; otherwise (a log, `make run` piped) a line is
    written every few seconds, and on the first document, so that a long file is never silent.
    """

    def __init__(self, stream, tty: bool):
        self.stream, self.tty = stream, tty
        self.every = 0.1 if tty else 2.0
        self.started = time.monotonic()
        self.last, self.last_phase, self.width = 0.0, "", 0

    def __call__(self, state) -> None:
        now = time.monotonic()
        due = now - self.last >= self.every or (state.documents == 1 and not self.last)
        if not due and state.phase == self.last_phase:
            return
        self.last, self.last_phase = now, state.phase
        rate = state.documents / max(now - self.started, 1e-6)
        name = Path(state.file).name if state.file else ""
        if state.phase == "indexing":
            where = f"file {state.files_done + 1}/{state.files} {name}"
            size, done = getattr(state, "file_size", 0), getattr(state, "file_done", 0)
            if size > 2**20 and done:  # a big collection: how far into it
                where += f" ({min(done / size, 1):.0%})"
        elif state.phase == "committing" and state.documents < state.handed_over:
            where = f"analysing the last {counted(state.handed_over - state.documents, 'document')}"
        elif state.phase == "committing":
            where = "writing the index to disk"
        else:
            where = f"done, {counted(state.files, 'file')}"
        line = f"indexing: {counted(state.documents, 'document')} ({rate:,.0f}/s), {where}"
        if self.tty:
            pad = max(0, self.width - len(line))
            self.width = len(line)
            end = "\n" if state.phase == "done" else ""
            self.stream.write(f"\r{line}{' ' * pad}{end}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
