"""Developer tooling: pinned real tools built from source, the local control plane."""
