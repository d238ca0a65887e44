"""The cluster's one error type (its own module: every other cluster module may raise it)."""


class ClusterError(ConnectionError):
    """The cluster could not be started, reached or written to (an OSError: the web answers
    503, as for a missing index)."""
