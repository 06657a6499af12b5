"""The one lifecycle the sandbox's servers share: ``start()``, ``stop()`` and ``with``."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Startable:
    """Subclasses implement ``start`` (returning themselves) and ``stop`` (idempotent);
    ``with server:`` starts it and always stops it."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
