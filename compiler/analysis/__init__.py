"""Facts about the embedded languages of a connector (SQL and Jinja), shared by the rules and the lowering."""
