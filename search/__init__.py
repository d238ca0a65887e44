"""Ukrainian and Russian news search: lemmatised Whoosh index."""
