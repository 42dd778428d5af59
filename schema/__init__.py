"""The bank JSON Schema, installed as `exporter._schema` so an installed qbank can read it."""
