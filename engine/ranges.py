"""HTTP ``Range: bytes=...`` parsing for one representation of known size (RFC 9110 §14).

:func:`parse_range` answers with a :class:`ByteRange` (serve 206), ``None`` (ignore the
header and serve 200: absent, malformed, another unit, or several ranges that do not
coalesce) or :data:`UNSATISFIABLE` (serve 416 with ``Content-Range: bytes */size``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_HEADER = 4096
MAX_RANGES = 32
_SPEC = re.compile(r"^([0-9]*)-([0-9]*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class _Unsatisfiable:
    def __repr__(self) -> str:
        return "UNSATISFIABLE"


UNSATISFIABLE: Final = _Unsatisfiable()


def parse_range(header: str | None, size: int) -> ByteRange | _Unsatisfiable | None:
    """Interpret a Range header against a representation of ``size`` bytes."""
    if header is None or len(header) > MAX_HEADER:
        return None
    unit, sep, spec = header.strip().partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    parts = [p.strip() for p in spec.split(",")]
    if not parts or len(parts) > MAX_RANGES or any(not p for p in parts):
        return None
    satisfiable: list[ByteRange] = []
    for part in parts:
        match = _SPEC.match(part)
        if match is None:
            return None
        first, last = match.groups()
        if not first and not last:
            return None
        if first:
            start = int(first)
            if last and int(last) < start:
                return None  # invalid byte-range-spec: ignore the whole header
            if start >= size:
                continue
            end = min(int(last), size - 1) if last else size - 1
        else:
            suffix = int(last)
            if suffix == 0 or size == 0:
                continue
            start, end = max(size - suffix, 0), size - 1
        satisfiable.append(ByteRange(start, end))
    if not satisfiable:
        return UNSATISFIABLE
    satisfiable.sort(key=lambda r: r.start)
    merged = satisfiable[0]
    for item in satisfiable[1:]:
        if item.start > merged.end + 1:
            return None  # disjoint ranges: we do not send multipart, so send it all
        merged = ByteRange(merged.start, max(merged.end, item.end))
    return merged
