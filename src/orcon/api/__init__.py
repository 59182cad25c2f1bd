"""REST API (FastAPI): the same use cases as the CLI, for scripts; OpenAPI at /openapi.json."""
