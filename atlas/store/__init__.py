"""The atlas database and the output folder: opening and writing tables (``database``),
atomic files (``files``), caches that only speed things up (``cache``), content fingerprints
(``fingerprint``), SQL files (``sql_files``), the inputs' terms (``terms``) and the shareable
or internal edition of a database (``edition``).
"""

__all__ = [
    "cache",
    "database",
    "edition",
    "files",
    "fingerprint",
    "sql_files",
    "terms",
]
