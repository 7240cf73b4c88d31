"""The documented usage examples, each one runnable as a test module."""
