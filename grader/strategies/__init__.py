"""Named grading strategies: the only code an assessment can point at.

An assessment's YAML says ``strategy: service-tester``; everything else about
it is data.  A new kind of assessment that fits an existing strategy needs a
folder, not code.
"""

from grader.strategies.base import CheckOutcome, GradingContext, Strategy, StrategyOutcome
from grader.strategies.perf_harness import PerfHarness
from grader.strategies.service_tester import ServiceTester

STRATEGIES: dict[str, type[Strategy]] = {
    "service-tester": ServiceTester,
    "perf-harness": PerfHarness,
}

__all__ = ["STRATEGIES", "CheckOutcome", "GradingContext", "Strategy", "StrategyOutcome"]
