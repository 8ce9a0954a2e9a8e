"""The read side of mpsearch: a query in, ranked entry cards out.

``search`` holds the query pipeline (``engine``: parse → retrieve → rank → cards, with
``query``, ``resolve``, ``prefix``, ``suggest``, ``cards``, ``rank/``). Around it:
``http/`` (the web boundary), ``ops/`` (metrics, logs, analytics), ``relevance/`` (golden
evaluation and the publish gate) and ``cli/`` (the ``mpsearch`` command).
"""

from search.engine import Engine, SearchRequest
from search.models import SearchResponse

__all__ = ["Engine", "SearchRequest", "SearchResponse"]
