"""handlers: see ARCHITECTURE.md."""
