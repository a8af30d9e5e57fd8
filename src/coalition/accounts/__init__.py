"""Accounts, roles in scopes, sessions, API tokens and the one permission function."""
