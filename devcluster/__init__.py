"""mpsearch on several "machines" of one: PostgreSQL, an S3 stand-in (moto), replicas and
haproxy, each a real process; for the tests, the benchmarks and `make cluster`."""
