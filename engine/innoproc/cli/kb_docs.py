"""innoproc kb docs: (being written)."""
