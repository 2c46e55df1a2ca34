"""The record types of the catalogue: shared field types, and one module per category.

`pds.records.catalogue` assembles these models into the catalogue; import from there.
"""
