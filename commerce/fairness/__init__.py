"""Fairness for hot drops: the waiting room (queue mode), raffles, abuse limits and per-show
purchase limits.

``raffle``, ``waiting_room`` and ``rules`` are plain rules (standard library only); ``rooms``
holds the waiting room's two backends (in-process and Redis); ``sql`` the durable side (raffles,
entries, drop rules, show limits); ``service`` ties them to the sale path.
"""
