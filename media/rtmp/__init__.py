"""RTMP ingest: wire formats (``amf0``, ``chunks``, ``messages``, ``flv``) and the listener."""
