"""WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import search.morph
from search.engine import Engine
from search.engine.arrays import ArrayCache
from web import create_app

# Load the morphology dictionaries before gunicorn forks, so workers share the memory.
search.morph.warm()

app = create_app()

# Build the index's spelling and completion tables and map its arrays in the master: the
# workers inherit them instead of each reading them on its first queries.
app.extensions["search_arrays"] = ArrayCache(app.config["SEARCH_ARRAY_CACHE_MB"] * 2**20)
_engine = Engine(app.config["SEARCH_INDEX_DIR"], arrays=app.extensions["search_arrays"])
try:
    _engine.warm()
except (FileNotFoundError, OSError):
    pass  # no index yet: workers build the tables when one appears
finally:
    _engine.close()
