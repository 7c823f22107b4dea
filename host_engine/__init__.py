"""host-engine: an offline-first virtual host and multilingual translation worker."""

__version__ = "0.1.0"
