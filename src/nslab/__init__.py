"""nslab: a terminal-first experiment manager for neuro-symbolic machine learning."""

__version__ = "0.1.0"
