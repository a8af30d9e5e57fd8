"""Moving releasable data between nations: release packages."""
