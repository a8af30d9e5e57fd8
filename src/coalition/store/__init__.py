"""Storage: engine, typed base model, unit of work and migrations."""
