"""Progress while grading: a bar on a terminal, plain log lines elsewhere (CI)."""
from __future__ import annotations

import sys
import time

from ..results import Status


class Progress:
    def __init__(self, stream=None, bar: bool | None = None):
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self.total = self.done = self.failures = self.cached = 0
        self.started = time.monotonic()

    def start(self, total: int, cached: int = 0) -> None:
        self.total, self.done, self.cached = total, cached, cached
        self.started = time.monotonic()
        if not self.bar:
            self._line("grading %d submissions (%d already graded, from the cache)" % (total, cached))
        self._draw()

    def advance(self, result) -> None:
        self.done += 1
        if result.status != Status.GRADED:
            self.failures += 1
        if self.bar:
            self._draw()
        else:
            self._line("[%d/%d] %s: %s %g/%g%s" % (
                self.done, self.total, result.student, result.status, result.score, result.max_score,
                " (%s)" % result.message[:120] if result.status != Status.GRADED else ""))

    def finish(self) -> None:
        if self.bar:
            self._draw()
            self.stream.write("\n")
        self._line("graded %d submissions in %.1f s (%d not fully graded: see status)"
                   % (self.done - self.cached, time.monotonic() - self.started, self.failures))

    def _eta(self) -> str:
        graded = self.done - self.cached
        if graded == 0:
            return "?"
        seconds = (time.monotonic() - self.started) / graded * (self.total - self.done)
        return "%d:%02d" % divmod(int(seconds), 60)

    def _draw(self) -> None:
        if not self.bar:
            return
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        self.stream.write("\r[%s%s] %d/%d graded, %d with problems, %s left " % (
            "#" * filled, "." * (width - filled), self.done, self.total, self.failures, self._eta()))
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
