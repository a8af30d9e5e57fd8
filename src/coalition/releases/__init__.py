"""Releases of technical data to other nations: the pre-check, and (next) requests,
national approvals and packages."""
