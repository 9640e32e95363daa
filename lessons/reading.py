"""Reading-time estimate (interim version; being replaced)."""

import math


def estimate_reading_minutes(text: str) -> int:
    return max(1, math.ceil(len((text or "").split()) / 220))
