"""Shared core of grokpipe: command line, event envelope, settings, client factories, embedded stack."""

__version__ = "0.1.0"
