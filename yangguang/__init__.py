"""Yangguang (阳光): information management and service platform for disabled persons' federations."""

__version__ = "0.1.0"
