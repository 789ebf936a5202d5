"""prom: see ARCHITECTURE.md."""
