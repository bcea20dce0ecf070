"""Sources turn what the user points at into chunks with provenance."""
