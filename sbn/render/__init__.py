"""Renderers: plans as data (JSON, YAML), for people (table) and for pull requests (Markdown)."""
