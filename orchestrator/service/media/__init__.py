"""The media WebSocket (``/v1/media``): Twilio Media Streams messages, μ-law 8 kHz, turn drivers."""
