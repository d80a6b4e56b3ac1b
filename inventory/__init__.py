"""Inventory: what runs in the watched clouds, kept in the database with first and last seen."""
