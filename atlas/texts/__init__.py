"""Every text rendered from the configuration and the database: the catalogue of table and
column comments (``catalogue``, ``catalog``), the data dictionary (``dictionary``), the method
(``method_text``), reports and generated documents (``report``, ``top30``,
``evidence_report``), attribution (``attribution``), lineage, the inputs' table and terminal
tables.
"""

__all__ = [
    "attribution",
    "catalog",
    "catalogue",
    "dictionary",
    "evidence_report",
    "inputs_table",
    "lineage",
    "markdown",
    "method_text",
    "report",
    "terminal",
    "top30",
    "uncertainty_words",
]
