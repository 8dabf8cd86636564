"""Security helpers: the private-address guard (DNS resolver) and safe file names."""
