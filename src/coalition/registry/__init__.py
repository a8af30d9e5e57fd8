"""Partners and people: nations, groups, schemes, organisations, people, clearances."""
