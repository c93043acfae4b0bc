"""atlas.sources.cn."""
