"""Self-contained HTML map pages for planners: what a level shows (``specs``), its data
(``data``, ``layers``, ``display_geometry``, ``pack``), its words (``text``), the page
(``page``, ``assets``, ``templates/``), and the pages of a build (``render``, ``index_page``).
"""

__all__ = [
    "assets",
    "data",
    "display_geometry",
    "index_page",
    "layers",
    "pack",
    "page",
    "render",
    "specs",
    "text",
]
