"""Waiting-room state: in-process for the embedded mode, Redis (Lua) across workers."""
