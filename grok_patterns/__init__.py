"""The grok pattern library and the pipelines, installed as package data: ``grokpipe.grok_patterns``.

This folder is the root of the ``grokpipe-patterns`` distribution (see its pyproject.toml); the files stay at the top
of the folder, where people edit them."""
