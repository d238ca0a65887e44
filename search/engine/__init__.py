"""The search engine: query plans ranked with numpy over a Whoosh index's postings."""

from search.engine.engine import SORTS, Engine
from search.engine.results import MAX_PAGE, Hit, Results

__all__ = ["MAX_PAGE", "SORTS", "Engine", "Hit", "Results"]
