"""The objects a stack owns, stamped for applying, with its credentials Secrets."""
