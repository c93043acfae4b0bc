"""atlas.sources.us."""
