"""HTTP API and web viewer: `docpipe serve` (needs the `server` extra)."""
