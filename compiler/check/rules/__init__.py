"""Semantic rules, one module each. The registries are `compiler.check.registry` and `compiler.check.project`."""
