"""augur: an observability stack run from four custom resources."""

__version__ = "0.1.0"
