"""atlas.sources.exposure."""
