"""Emitters: plans, reports and generated documentation pages."""
