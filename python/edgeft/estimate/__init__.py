"""estimate: see docs/architecture.md."""
