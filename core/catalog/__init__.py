"""The ``catalog.sqlite`` contract, in one place.

Publish (``warehouse.publish``) writes the file; the API, the engine, key rotation and the
pipeline read it. Everything they must agree on lives here: the schema (``schema.sql``),
its version, how a source's public id is derived, the labels that bind each encrypted
column to its row, and the read-only readers.

* :mod:`core.catalog.contract` — schema, version, source ids, secret labels, errors,
  read-only connections.
* :mod:`core.catalog.snapshots` — per-thread snapshots that follow atomic swaps (the API).
* :mod:`core.catalog.sources` — ranked sources and their decrypted secrets (API + engine).
* :mod:`core.catalog.reseal` — re-encrypt a published catalog under a new key (rotation).
"""
