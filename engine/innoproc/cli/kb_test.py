"""innoproc kb test: (being written)."""
