"""Builders of the Kubernetes objects every component shares: workloads, Services, claims, labels."""
