"""The product's version, one value for every distribution (each pyproject.toml repeats it; a test holds them equal)."""

__version__ = "0.1.0"
