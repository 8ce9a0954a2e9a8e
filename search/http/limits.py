"""Every limit on what a client may send, in one place (the API enforces them; 4xx when exceeded).

Limits are fixed by the contract with host apps rather than tuned per deployment,
so they are constants, not settings.
"""

from __future__ import annotations

from typing import Final

from indexer import ids
from indexer.catalog import MAX_LINE_BYTES

MAX_QUERY_CHARS: Final = 64
"""Longest ``q`` after trimming spaces (search and suggest)."""
MAX_RAW_QUERY_CHARS: Final = 1024
"""Longest ``q`` as sent, spaces included (checked before trimming)."""
MAX_LIMIT: Final = 50
"""Most cards per search page."""
MAX_OFFSET: Final = 150
"""Deepest search page start."""
MAX_SUGGEST: Final = 20
"""Most suggestions per request."""
MAX_RECENT: Final = 50
"""Most appids in ``recent``."""
MAX_APPID_CHARS: Final = ids.MAX_APPID_CHARS
"""Longest appid in a path or in ``recent`` (any platform's appid shape, no more)."""
MAX_BRAND_ID_CHARS: Final = ids.MAX_BRAND_ID_CHARS
"""Longest brand id in a path."""
MAX_RECENT_CHARS: Final = MAX_RECENT * (MAX_APPID_CHARS + 1)
"""Longest ``recent`` value: MAX_RECENT appids of the longest kind and their commas."""
MAX_CATEGORY_CHARS: Final = 32
MAX_HOST_CHARS: Final = 32
MAX_ANALYTICS_ROWS: Final = 200
"""Most rows per list of ``/v1/analytics``."""
MAX_SINCE_CHARS: Final = 40
"""Longest ``since`` of ``/v1/analytics`` (an ISO 8601 time with offset fits)."""
MAX_QUERY_STRING_BYTES: Final = 16 * 1024
"""Longest raw query string (after ``?``), percent-encoded: 414 beyond."""
MAX_BODY_BYTES: Final = MAX_LINE_BYTES
"""Largest request body (admin upserts carry one catalog record, as long as a catalog line
may be): 413 beyond."""
