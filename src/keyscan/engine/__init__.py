"""Detection: prefilter, regexes, entropy, checksums and filters."""
