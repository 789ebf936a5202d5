"""Grafana of a stack: its provisioning, built-in dashboards and Kubernetes objects."""
