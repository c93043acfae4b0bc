"""atlas.texts."""
