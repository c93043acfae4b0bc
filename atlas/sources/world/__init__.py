"""atlas.sources.world."""
