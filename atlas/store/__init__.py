"""atlas.store."""
