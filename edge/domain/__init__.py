"""Rules of the edge package in plain Python: no I/O, no framework imports."""
