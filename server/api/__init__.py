"""REST API under /api/v1: authenticate, call one service, serialize."""
