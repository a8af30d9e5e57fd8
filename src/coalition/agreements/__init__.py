"""Agreements between partners (MoUs, project arrangements...) kept as structured data."""
