"""Projects under agreements: participants, members, work packages, deliverables, milestones."""
