"""``python -m innoproc``: the same as the ``innoproc`` command."""

from innoproc.entry import main

main()
