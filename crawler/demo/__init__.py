"""Bundled offline demo site imitating the seed sources; see README.md and server.py."""
