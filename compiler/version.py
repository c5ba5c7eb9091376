"""The tool version; part of every cache key and plan."""

__version__ = "0.1.0"
