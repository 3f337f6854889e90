"""innoproc kb diff: (being written)."""
