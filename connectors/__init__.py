"""One package per external system; each exposes a Protocol port, DTOs and one real client."""
