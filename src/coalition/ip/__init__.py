"""Intellectual property: assets, their owners, and licences."""
