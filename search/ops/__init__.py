"""Operations: Prometheus metrics, the query log and its analytics, JSON logs, and the
per-worker state and middleware that feed them."""
