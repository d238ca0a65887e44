"""The read path before execution: parsing, planning, forgiving and completing queries."""
