"""`make bench`: the lab measured in one run on this machine (see __main__.py)."""
