"""Technical data: artifacts with their security labels, and need-to-know grants."""
