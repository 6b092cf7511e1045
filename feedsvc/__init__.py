"""feedsvc: Arabic news article files in, right-to-left feeds out."""

__version__ = "0.1.0"
