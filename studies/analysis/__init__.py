"""The study's analysis tables, computed in SQL from consented material only.

`filters` turns one filter form into querysets of consented excerpts and sources; every table
module (`segments`, `frequencies`, `cooccurrence`, `crosstab`, `timeline`) starts from them, so a
withdrawal of consent removes material from every figure at once, and every table is filtered
the same way. Views (`studies.views.analysis`) only render what these modules return.
"""
