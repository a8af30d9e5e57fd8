"""Federation: this node and its partner nodes."""
