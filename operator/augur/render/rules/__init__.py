"""Prometheus rules of the AlertPolicies and BusinessKPIs a stack selects, and their rule tests."""
