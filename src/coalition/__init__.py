"""Coalition: joint R&D platform for the defence laboratories of allied nations."""

__version__ = "0.1.0"
