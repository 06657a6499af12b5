"""Exception tree of the warehouse package (all subclasses of MiauflixError)."""

from __future__ import annotations

from core.errors import MiauflixError


class WarehouseError(MiauflixError):
    """Something in the warehouse failed on purpose (never raised for upstream garbage)."""


class TransformError(WarehouseError):
    """Staging or mart building could not finish for a run (the transaction is rolled back)."""

    def __init__(self, run_id: str, stage: str, cause: BaseException) -> None:
        super().__init__(f"run {run_id}: transform failed while building {stage}: {cause}")
        self.run_id = run_id
        self.stage = stage


class CheckError(WarehouseError):
    """The data-quality machinery itself failed (not: a suite found bad data)."""

    def __init__(self, run_id: str, suite: str, cause: BaseException) -> None:
        super().__init__(f"run {run_id}: data-quality suite {suite!r} could not run: {cause}")
        self.run_id = run_id
        self.suite = suite
