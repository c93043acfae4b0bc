"""Ranked lists and the transition-fund split for fund allocators: selection and ranking
(``ranking``, ``selection``), the allocation (``allocation``), and the files (``write``: CSV,
XLSX, Parquet, GeoJSON; ``sheets``, ``method_sheet``, ``programmes_sheet``, ``workbook``).
"""

__all__ = [
    "allocation",
    "method_sheet",
    "programmes_sheet",
    "ranking",
    "safecells",
    "selection",
    "sheets",
    "workbook",
    "write",
]
