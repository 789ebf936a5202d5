"""The API of the four kinds: pydantic models, validation, CRD generation."""
