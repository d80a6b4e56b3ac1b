"""Vector memory of runbooks and past incidents: store port, embedder, ingestion, retrieval."""
