"""The build: the database (``database``), then the maps and exports (``outputs``) in two
processes (``worker``, ``prefetch``), published together (``publish``), with the evidence
(``evidence``); ``pipeline.build_all`` runs all of it.
"""

__all__ = [
    "database",
    "evidence",
    "outputs",
    "pipeline",
    "prefetch",
    "publish",
    "worker",
]
