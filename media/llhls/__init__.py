"""Apple Low-Latency HLS (RFC 8216bis): fMP4/CMAF parts and segments, playlists, recordings."""
