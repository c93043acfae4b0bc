"""Source readers: each turns real input files into the engine's generic tables."""
