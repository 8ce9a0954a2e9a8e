"""Relevance tooling: evaluation on golden queries and the gate a version passes to publish."""
