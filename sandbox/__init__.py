"""The offline sandbox: local stand-ins for every external service.

Fake upstream (TMDB v3, YTS v2, Trakt) over a seeded synthetic catalogue:
``catalogue`` (SyntheticCatalogue; records from ``tmdb_records``, ``yts_records``,
``tv_records``), ``fake_upstream`` (the server: ``start_fake_upstream`` or
``python -m sandbox.fake_upstream``), routes per service (``tmdb_routes``, ``yts_routes``,
``trakt_routes``), ``faults`` (FaultConfig, counters), ``randomness`` (the deterministic
draws every record is made of) and ``fast_http`` (the HTTP/1.1 protocol it runs on).

BitTorrent on loopback: ``swarm`` (demo videos made into torrents and seeded by a real
libtorrent session), ``tracker`` (a local HTTP tracker) and ``bencode`` (its encoder).
``loopback_transport`` is the client side of the sandbox: a lean httpx transport the
roof mounts into the flows for loopback upstreams.
"""
