"""Artifact content: versions sealed at rest, released only after a permit."""
