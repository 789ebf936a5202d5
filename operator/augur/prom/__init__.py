"""Prometheus HTTP API client: instant and range queries, errors as one exception type."""
