"""The Trakt routes' OpenAPI declarations (see :func:`serve.openapi_routes.declare`)."""

from __future__ import annotations

from serve.openapi_routes import RATE, LanguageQuery, Route, declare
from serve.trakt import (
    LinkAnswer,
    ScrobbleQueued,
    ScrobbleRequest,
    TraktState,
    Unlinked,
    Watchlist,
)

_UNAVAILABLE = "trakt_unavailable: Trakt could not be reached"

declare(
    Route("POST", "/api/trakt/link",
          "Start linking a Trakt account: a code to enter at Trakt's address", ("trakt",),
          body=None, answers={201: LinkAnswer}, errors={429: RATE, 502: _UNAVAILABLE}),
    Route("GET", "/api/trakt",
          "The Trakt link state (while pending, each call may poll Trakt once)", ("trakt",),
          answers={200: TraktState}, errors={429: RATE}),
    Route("DELETE", "/api/trakt", "Revoke the token at Trakt and unlink", ("trakt",),
          answers={200: Unlinked}, errors={404: "trakt_not_linked", 429: RATE}),
    Route("GET", "/api/trakt/watchlist", "The user's Trakt watchlist (catalog titles)",
          ("trakt",), query=LanguageQuery, answers={200: Watchlist},
          errors={400: "invalid_parameter", 429: RATE,
                  503: "catalog_unavailable: no catalog published yet"}),
    Route("POST", "/api/trakt/scrobble",
          "Queue a player event for Trakt (stop at >= 80 % marks watched)", ("trakt",),
          body=ScrobbleRequest, answers={202: ScrobbleQueued},
          errors={409: "trakt_not_linked", 429: RATE}),
)  # fmt: skip
