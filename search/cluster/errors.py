"""The cluster's one error type and its warnings (its own module: every other cluster module
may raise or give them)."""


class ClusterError(ConnectionError):
    """The cluster could not be started, reached or written to (an OSError: the web answers
    503, as for a missing index)."""


# Given once per engine when the live generation lacks what a search would use.
UNRANKED = ("the cluster's live generation was built before its rows carried the rank "
            "attributes: searches are ranked by searchd's own ranker, not as the embedded "
            "engine ranks them. Rebuild it with `python -m search reindex --full` (same "
            "SEARCH_BACKEND) to rank as the embedded engine does.")
UNGROUPED = ("the cluster's live generation was built before its rows carried near-duplicate "
             "groups: syndicated copies are each shown. Rebuild it with `python -m search "
             "reindex --full` (same SEARCH_BACKEND) to show them once.")
