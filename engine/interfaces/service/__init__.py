"""The HTTP service for case systems."""
