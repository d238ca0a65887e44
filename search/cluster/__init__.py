"""The SphinxQL cluster backend: config, searchd processes, feeding and search over a head node."""
