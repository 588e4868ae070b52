"""tokend's Python client: the generated tokend.v1 modules (tokend.v1) and a
thin helper (tokend.client). See client/python/README.md."""
