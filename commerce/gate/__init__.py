"""The inventory gate: the hot path of a flash sale, in front of the database.

Two real backends behind one interface: in-process (embedded mode) and Redis (one Lua script per
operation). Both are held to the rules of :mod:`commerce.domain.inventory` by one contract suite.
"""
