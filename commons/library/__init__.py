"""The bureau's library: reading and writing BibTeX, RIS and CSL-JSON (`formats`), importing with
duplicate detection (`importing`) and formatting ``[@key]`` citations with citeproc-py (`citations`).

The model is `commons.models.Reference`; this package holds no model so the parsers stay plain
functions over dicts, testable without a database.
"""
