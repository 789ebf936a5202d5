"""Prometheus of a stack: its configuration, rule shards, self-monitoring rules and Kubernetes objects."""
