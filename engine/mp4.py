"""Where an MP4's index (``moov``) sits, from the top-level box headers in its first bytes.

A player reads the header, then the index, before it can show a frame. When the index sits
at the end (most encoders write it there), the box that precedes it -- ``mdat``, the media
data -- tells its own size in its header, so the first piece of the file is enough to know
exactly where the index starts: the engine preloads from there to the end of the file,
sized to the index, before the player asks for it (no second round trip to the swarm).
"""

from __future__ import annotations

from dataclasses import dataclass

HEADER = 8
LARGE_HEADER = 16
MAX_BOXES = 64  # top-level boxes walked before giving up (real files have a handful)


@dataclass(frozen=True)
class IndexRange:
    start: int  # file byte where the index box (or the boxes after the media data) begin
    end: int  # exclusive
    exact: bool  # True: the moov box itself; False: everything after the media data


def _box_type_ok(kind: bytes) -> bool:
    return all(0x20 <= b < 0x7F for b in kind)


def locate_index(head: bytes, file_size: int) -> IndexRange | None:
    """The file range holding the ``moov`` box, from the first bytes of an MP4 (``head``),
    or None when the head is not a well-formed MP4 box sequence or shows no index.

    * ``moov`` in the head (faststart): its exact range (it may run past the head).
    * a box (``mdat``) that runs past the head and ends before the end of the file: the
      rest of the file after it, where the index is (it is the last thing an encoder writes).
    * a size of 0 (box runs to the end of the file), sizes below the header length, boxes
      past the end of the file, non-printable types, no ``ftyp`` first: None.
    """
    if file_size <= 0 or len(head) < HEADER:
        return None
    pos = 0
    for count in range(MAX_BOXES):
        if pos >= file_size:
            return None
        if pos + HEADER > len(head):
            # the next header lies past the bytes we have: it starts at a known offset
            return IndexRange(pos, file_size, exact=False) if count else None
        size = int.from_bytes(head[pos : pos + 4], "big")
        kind = head[pos + 4 : pos + 8]
        if not _box_type_ok(kind) or (count == 0 and kind != b"ftyp"):
            return None
        header = HEADER
        if size == 1:
            if pos + LARGE_HEADER > len(head):
                return None
            size = int.from_bytes(head[pos + 8 : pos + 16], "big")
            header = LARGE_HEADER
        if size == 0 or size < header or pos + size > file_size:
            return None  # runs to the end (no index after it), broken or lying
        if kind == b"moov":
            return IndexRange(pos, pos + size, exact=True)
        pos += size
        if pos > len(head) and pos < file_size:
            return IndexRange(pos, file_size, exact=False)
    return None
