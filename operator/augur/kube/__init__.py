"""kube: see ARCHITECTURE.md."""
