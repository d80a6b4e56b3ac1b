"""Response models of the API (what clients see), built from the tables with `from_attributes`."""
