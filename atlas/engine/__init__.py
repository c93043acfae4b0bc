"""atlas.engine."""
