"""Events recorded by every use case, in the same transaction as the change."""
