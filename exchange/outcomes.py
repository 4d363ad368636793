"""What one delivery attempt came to, as a sender reports it to the dispatcher."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool = False
    status_code: int | None = None
    error: str = ""
    # The receiver asked to wait this long (Retry-After on 429 or 503).
    retry_after: timedelta | None = None
    # The endpoint answered 410 Gone: it is disabled and nothing more is sent to it.
    gone: bool = False
    # Trying again cannot help (no address, endpoint disabled).
    permanent: bool = False
