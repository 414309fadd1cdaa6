"""WHIP ingest (RFC 9725): hosts publish from the browser over WebRTC.

``sdp``       checks on offers, edits to answers (bitrate hints, public address)
``clock``     stream time and the sender's capture clock of received frames
``rtc``       the few aiortc receiver internals a broadcast ingest needs
``encoder``   re-encoding to H.264 + AAC in a thread, for the LL-HLS packager
``session``   one publishing session, from answer to end
``ingest``    negotiation and the running sessions
``api``       the HTTP resource (Litestar controller) and its lifespan
"""
