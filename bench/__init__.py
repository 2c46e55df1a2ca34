"""The benchmark harness behind `make bench`: bulk-loaded data at scale, wrk on loopback, ratios.

Nothing here is imported by the service; `make test` only smoke-tests that a tiny dataset loads.
"""
