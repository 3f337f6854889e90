"""``innoproc serve``: the case library as a read-only SPARQL 1.1 endpoint, and advice over HTTP.

:mod:`.app` is the Starlette application, :mod:`.pool` and :mod:`.worker` run queries in child
processes that can be killed at the time limit, :mod:`.check` decides which queries run and
:mod:`.results` writes their answers. May import :mod:`innoproc.store`, :mod:`innoproc.export`
and every layer below. This module imports nothing, so the query worker (which runs
``innoproc.server.worker``) loads neither Starlette nor the engine.
"""
