"""Flask web front end: search page and JSON API."""
