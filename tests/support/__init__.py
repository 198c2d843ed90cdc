"""Helpers shared by the test suites: real servers and real clients, no mocks."""
