"""The simulation compiler: tool environments -> replay-verified agent trajectories (docs/simulation.md)."""
