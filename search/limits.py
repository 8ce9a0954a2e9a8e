"""Every limit on what a client may send, in one place (the API enforces them; 4xx when exceeded).

Limits are fixed by the contract with host apps rather than tuned per deployment,
so they are constants, not settings.
"""

from __future__ import annotations

from typing import Final

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
MAX_RECENT_CHARS: Final = MAX_RECENT * 65
"""Longest ``recent`` value: MAX_RECENT appids of up to 64 characters and their commas."""
MAX_CATEGORY_CHARS: Final = 32
MAX_HOST_CHARS: Final = 32
MAX_APPID_CHARS: Final = 64
MAX_QUERY_STRING_BYTES: Final = 16 * 1024
"""Longest raw query string (after ``?``), percent-encoded: 414 beyond."""
MAX_BODY_BYTES: Final = MAX_LINE_BYTES
"""Largest request body (admin upserts carry one catalog record): 413 beyond."""
