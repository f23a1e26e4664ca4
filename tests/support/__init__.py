"""Test support: building documents, random instances, and the exhaustive reference planner."""
