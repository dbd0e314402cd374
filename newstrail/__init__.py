"""newstrail: discover, archive and extract news coverage of a story.

The core package holds domain logic only (seeds, URLs, relevance, extraction,
records); it imports neither Scrapy nor Prefect.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
