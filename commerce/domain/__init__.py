"""Domain rules of commerce in plain Python: no web framework, database or Redis imports."""
