"""Log families: where each is written and how long its configuration keeps it (``families``),
and the oldest entry still on disk, rotated and compressed files included (``disk``, ``files``, ``timestamps``).
"""
