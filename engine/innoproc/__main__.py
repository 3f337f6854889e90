"""``python -m innoproc``: the same as the ``innoproc`` command."""

from .cli import app

app(prog_name="innoproc")
