"""The `coalition` command line: every use case, for operators and scripts."""
