"""Strategy ``perf-harness``, split by job: options, choreography (harness), figures, scoring, report."""
