"""Unemployment-trap risk atlas: AI exposure, economic diversity and collapse risk by region."""

__version__ = "0.1.0"
