"""The tables of the incident core (SQLModel), one module per entity family."""
