"""The simulated estate used by the demo, the evals and the tests."""
