"""WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import search.morph
from search.engine import Engine
from web import create_app

# Load the morphology dictionaries before gunicorn forks, so workers share the memory.
search.morph.warm()

app = create_app()

# Build the index's spelling and completion tables in the master too: workers inherit them.
_engine = Engine(app.config["SEARCH_INDEX_DIR"])
try:
    _engine.warm()
except (FileNotFoundError, OSError):
    pass  # no index yet: workers build the tables when one appears
finally:
    _engine.close()
