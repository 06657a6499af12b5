"""Torrent source providers behind one interface: YTS (movies) and EZTV (episodes).

A provider says *what* to ask for an IMDb id (the first request, the pages that follow from
its answer), which raw table lands the answers. *How* to ask is shared: every provider gets one
:class:`~flows.http.UpstreamClient` built the same way by ``flows.clients.open_clients`` from
:data:`flows.clients.SOURCE_ENDPOINTS` (mirror fallback with a sticky mirror, a token bucket
at the provider's own ceiling, retries honouring ``Retry-After``, HTML/garbage bodies treated
as a dead mirror), and :func:`fetch_sources` runs the fresh-check, fetch, paging and landing
for a batch of IMDb ids.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flows.context import IngestContext, Request, fetch_and_land
from flows.http import UpstreamClient

if TYPE_CHECKING:
    from flows.clients import Clients


class SourceProvider(ABC):
    """What one torrent provider needs answered for an IMDb id."""

    name: str  # "yts" | "eztv": the client's service name and the Prefect task prefix
    table: str  # raw_* table the answers land in

    @abstractmethod
    def first_request(self, imdb_id: str) -> Request:
        """The first (often only) request for ``imdb_id``; ValueError for a bad id."""

    def more_requests(self, imdb_id: str, first_page: Any) -> list[Request]:
        """Further pages, given what :meth:`extract` kept of the first answer."""
        return []

    def extract(self, data: dict[str, Any]) -> Any:
        """The small part of a first answer :meth:`more_requests` needs (default: nothing)."""
        return None

    def client(self, clients: Clients) -> UpstreamClient:
        return clients.sources[self.name]


async def fetch_sources(
    ctx: IngestContext,
    provider: SourceProvider,
    imdb_ids: Sequence[str],
    *,
    check_fresh: bool = True,
) -> int:
    """Land the provider's answers for ``imdb_ids`` (bad ids skipped); returns requests sent.

    First pages go out together; the pages they announce follow in one more batch. With
    ``check_fresh=False`` the caller already dropped the ids whose first page is fresh.
    """
    firsts: list[Request] = []
    for imdb_id in dict.fromkeys(imdb_ids):
        try:
            firsts.append(provider.first_request(imdb_id))
        except ValueError:
            continue
    client = provider.client(ctx.clients)
    done = await fetch_and_land(
        ctx, provider.table, client, firsts, extract=provider.extract, check_fresh=check_fresh
    )
    more = [
        request
        for result in done
        if result.ok and result.status == 200
        for request in provider.more_requests(result.entity_key, result.data)
    ]
    if more:
        done += await fetch_and_land(ctx, provider.table, client, more, check_fresh=False)
    return len(done)
