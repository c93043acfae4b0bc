"""atlas.exports."""
