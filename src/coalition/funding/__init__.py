"""Funding and workshare: cost shares, budgets, contributions and the balance per nation."""
