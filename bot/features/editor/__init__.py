"""Content editors' tools: ``hanya content check``, staleness, catalogs."""
