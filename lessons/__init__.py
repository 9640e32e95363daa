"""Stream: Markdown lessons, local-first progress and lesson comments for Django sites."""

# The one place the version lives: pyproject.toml reads it from here when building.
__version__ = "0.1.0"
