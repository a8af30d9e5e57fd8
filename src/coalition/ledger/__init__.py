"""The transparency ledger: Merkle log, checkpoints, proofs, witnesses (issue 4)."""
