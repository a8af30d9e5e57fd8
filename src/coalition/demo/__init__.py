"""A fictional coalition research programme to explore a node with: ``coalition demo load``."""

from coalition.demo.logins import DEMO_PASSWORD
from coalition.demo.programme import DemoSummary, load_demo

__all__ = ["DEMO_PASSWORD", "DemoSummary", "load_demo"]
