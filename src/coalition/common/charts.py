"""What every server-drawn chart shares: matplotlib's pyplot, set up once for SVG without
dates (the same figures give the same bytes, text stays text for screen readers), and the
lock that draws one chart at a time, since pyplot keeps global state."""

from __future__ import annotations

import io
import threading
from typing import Any

PYPLOT_LOCK = threading.Lock()


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {"svg.fonttype": "none", "svg.hashsalt": "coalition", "font.size": 9}
    )
    import matplotlib.pyplot as plt

    return plt


def svg(figure: Any, title: str) -> str:
    buffer = io.StringIO()
    figure.savefig(
        buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Title": title}
    )
    return buffer.getvalue()
