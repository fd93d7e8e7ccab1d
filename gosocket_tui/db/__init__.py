"""Persistence: the models, the one place that opens a database, and the migrations."""
