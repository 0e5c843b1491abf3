"""Recorded workflow histories, replayed in CI so a change cannot break running cases."""
