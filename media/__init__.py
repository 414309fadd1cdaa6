"""Media: ingest (RTMP now, WHIP later) into one stream hub, packaged as Apple LL-HLS, recorded.

Layers, each depending only on the one below through a small Protocol:

``rtmp/``      wire formats (handshake, chunk stream, AMF0, FLV) and the RTMP listener
``hub``        one live stream per show: publishers in, fan-out to sinks
``llhls/``     fMP4/CMAF muxing, segmenting, playlists, blocking reload, recordings
``service``    the ``MediaService`` the HTTP routes and other apps use
``app``        the Litestar component
"""
