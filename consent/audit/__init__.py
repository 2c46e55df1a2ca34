"""The tamper-evident audit log: entries, signed Merkle checkpoints, proofs, queries, export.

Kept free of imports on purpose: the offline verifier (`consent.audit.verify`) must load
without the database layer.
"""
