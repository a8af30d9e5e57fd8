"""The dashboard's view across domains."""
