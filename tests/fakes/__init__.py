"""Small fakes of external services, shared by the tests."""
