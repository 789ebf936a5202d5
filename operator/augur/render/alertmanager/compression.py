"""The configuration as stored in its Secret: gzip, as prometheus-operator stores it.

A configuration for a thousand policies outgrows a Secret's 1 MiB; compressed it is a tenth of
that. Whatever loads the configuration into Alertmanager (the config reloader) reads this key
and writes the decompressed file Alertmanager is started with."""

from __future__ import annotations

import gzip

CONFIG_SECRET_KEY = "alertmanager.yaml.gz"
"""Key of the stack's Alertmanager configuration Secret holding the compressed config."""


def compress_config(text: str) -> bytes:
    """The configuration gzip-compressed, byte-for-byte the same for the same text (mtime 0)."""
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def decompress_config(data: bytes) -> str:
    """The configuration text back from `compress_config`'s bytes."""
    return gzip.decompress(data).decode("utf-8")
