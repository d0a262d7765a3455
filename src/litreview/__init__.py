"""litreview: grade the health claims of popular articles against the research literature.

The package holds all logic; the numbered notebooks in ``notebooks/`` only call it.
"""

__version__ = "0.1.0"
