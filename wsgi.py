"""WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import search.morph
from web import create_app

# Load the morphology dictionaries before gunicorn forks, so workers share the memory.
search.morph.warm()

app = create_app()
