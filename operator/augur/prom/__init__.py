"""The Prometheus HTTP API client (instant queries); see docs/architecture.md."""
