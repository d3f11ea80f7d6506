"""The progress display of paid commands (rich, on stderr): one row per job going through
quote, payment, queue or progress, and download."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

__all__ = ["JobDisplay"]


class JobDisplay:
    """Rows of jobs with a bar (0-100) and a status text; does nothing when ``enabled`` is off."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
            transient=False,
            disable=not enabled,
        )

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def add(self, label: str) -> TaskID:
        """A new row, at 0 %."""
        return self._progress.add_task(label, total=100, status="quote...")

    def update(self, row: TaskID, status: str, percent: float | None = None) -> None:
        """Set a row's status text (and its bar)."""
        if percent is None:
            self._progress.update(row, status=status)
        else:
            self._progress.update(row, status=status, completed=max(0.0, min(100.0, percent)))

    def note(self, text: str) -> None:
        """A line above the rows (quotes, confirmations, saved files)."""
        if self.enabled:
            self._progress.console.print(text)
