"""Real-time gateway: per-show event channels (WebSocket and SSE), highlights in sync with the
stream's program-date-time, chat with moderation, and viewer counts."""
