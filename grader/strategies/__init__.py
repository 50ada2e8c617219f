"""Named grading strategies: the only code an assessment can point at.

An assessment's YAML says ``strategy: service-tester``; everything else about
it is data.  A new kind of assessment that fits an existing strategy needs a
folder, not code.  The catalog (``grader.services.catalog``) checks a name and
its options against this registry when it loads an assessment.
"""

from grader.strategies.base import CheckOutcome, GradingContext, Strategy, StrategyOutcome
from grader.strategies.perf.harness import PerfHarness
from grader.strategies.service_tester import ServiceTester

STRATEGIES: dict[str, type[Strategy]] = {s.name: s for s in (ServiceTester, PerfHarness)}

__all__ = ["STRATEGIES", "CheckOutcome", "GradingContext", "Strategy", "StrategyOutcome"]
