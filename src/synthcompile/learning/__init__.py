"""Learning strategies: compiled samples turned into exercises about their own solutions (docs/learning.md)."""
