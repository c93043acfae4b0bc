"""atlas.maps."""
