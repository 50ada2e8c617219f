"""What a candidate may see through their invitation link, built once and rendered as is.

Candidates are told where their submission is and, when grading failed because
of something they control (a refused requirements line, an app that never
became healthy, a repository that cannot be fetched), what to fix, with the end
of the relevant log. Everything else stays with the hiring team: the score and
the checks only when the assessment opts in (``candidate_feedback``), and never
hidden tests, check messages or evidence. Our own failures are named as ours,
because they do not use an attempt. Every string that came from the candidate's
code or repository passes through ``inert`` and is capped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from grader.errors import FailureCode
from grader.models import Invitation, Submission, SubmissionStatus
from grader.models.grading import GradingRun
from grader.services import invitations
from grader.services.untrusted import inert
from grader.specs import AssessmentSpec

S = SubmissionStatus
WORKING = (S.QUEUED, S.CLONING, S.INSTALLING, S.TESTING, S.SCORING)
STATUS_WORDS = {
    S.QUEUED: "Waiting for a free grader",
    S.CLONING: "Fetching your repository",
    S.INSTALLING: "Installing your dependencies",
    S.TESTING: "Starting your app and running the hidden tests",
    S.SCORING: "Scoring",
    S.COMPLETED: "Graded",
    S.FAILED: "Could not be graded",
}
NEEDS_FIX = "Finished, but nothing could be tested: see what to fix"
OUTCOME_WORDS = {"passed": "passed", "partial": "partly passed", "failed": "failed", "error": "failed", "not_run": "not run"}
INSTALL_LOG_LINES = 15
APP_LOG_LINES = 30
MAX_LINE_CHARS = 400
MAX_REASON_CHARS = 1000
# The sentences strategies.base.startup_failure writes when the candidate's app never became healthy.
_STARTUP = re.compile(r"the app (did not answer|ran out of memory while starting|exited during startup)", re.IGNORECASE)
# The app's start-up output, by the names the strategies store it under, and how the candidate reads it.
APP_LOGS = {"app": "your app's output", "app-main": "your app's output", "startup": "the health check's output"}
OURS = "Something went wrong on our side; this attempt does not count against you. You can submit again."


@dataclass(frozen=True)
class Stage:
    status: str  # SubmissionStatus value, or "completed"/"failed" for the last step
    words: str  # what the step means to a candidate
    state: str  # done | current | todo | failed


@dataclass(frozen=True)
class Problem:
    kind: str  # install | startup | clone | timeout | ours | other
    sentence: str  # what happened and what to do, in words
    reason: str  # the grader's stored reason (inert, capped), "" when it is ours to keep
    log_title: str  # which log the tail comes from, in words ("" when none)
    log_tail: str  # the last lines of that log (inert, capped)
    counts: bool  # True when the attempt is used


@dataclass(frozen=True)
class CategoryScore:
    title: str
    score: float
    max: float


@dataclass(frozen=True)
class CheckLine:
    title: str  # the check's public title from the assessment (never the hidden test or its message)
    outcome: str  # in words: passed, partly passed, failed, not run


@dataclass(frozen=True)
class CandidateScore:
    total: float
    max: float
    categories: tuple[CategoryScore, ...]


@dataclass(frozen=True)
class SubmissionView:
    public_id: str
    submitted_at: datetime
    repo_url: str  # inert, credentials already removed when stored
    ref: str  # inert
    commit: str  # short SHA once cloned, else ""
    status: str  # SubmissionStatus value
    words: str  # the status in words
    attention: bool  # finished, but only the candidate can fix why nothing was tested
    terminal: bool  # no more changes to poll for
    stages: tuple[Stage, ...]
    problem: Problem | None  # a failure, told so the candidate can act on it
    score: CandidateScore | None  # only when the assessment shows scores
    checks: tuple[CheckLine, ...]  # only when the assessment shows checks


@dataclass(frozen=True)
class PortalView:
    title: str
    summary: str
    brief: str  # Markdown, rendered by the template's safe filter
    expected_time: str
    deadline: datetime  # naive UTC
    attempts_allowed: int
    state: invitations.InvitationState
    has_handout: bool
    slug: str
    submissions: tuple[SubmissionView, ...]  # newest first

    @property
    def polling(self) -> bool:
        return any(not s.terminal for s in self.submissions)


def portal(invitation: Invitation, spec: AssessmentSpec) -> PortalView:
    """Everything the portal page shows for one invitation (only its own submissions)."""
    return PortalView(
        title=spec.title, summary=spec.summary, brief=_brief(spec), expected_time=spec.expected_time,
        deadline=invitation.deadline, attempts_allowed=invitation.attempts_allowed,
        state=invitations.state(invitation), has_handout=spec.handout is not None, slug=spec.slug,
        submissions=submissions_of(invitation, spec),
    )


def submissions_of(invitation: Invitation, spec: AssessmentSpec) -> tuple[SubmissionView, ...]:
    return tuple(for_candidate(s, spec) for s in sorted(invitation.submissions, key=lambda s: s.id, reverse=True))


def _brief(spec: AssessmentSpec) -> str:
    path = spec.folder / spec.brief
    return path.read_text(encoding="utf-8") if path.is_file() else spec.summary


def for_candidate(submission: Submission, spec: AssessmentSpec) -> SubmissionView:
    """What the candidate may see of one submission."""
    run = submission.result_run if submission.status is S.COMPLETED else None
    feedback = spec.candidate_feedback
    found = problem(submission)
    attention = submission.status is S.COMPLETED and found is not None
    return SubmissionView(
        public_id=submission.public_id, submitted_at=submission.created_at,
        repo_url=_cap(inert(submission.repo_url), 300), ref=_cap(inert(submission.ref), 120),
        commit=(submission.commit_sha or "")[:12], status=submission.status.value,
        words=NEEDS_FIX if attention else STATUS_WORDS[submission.status], attention=attention,
        terminal=submission.status.terminal, stages=stages(submission), problem=found,
        score=_score(run, spec) if run is not None and feedback.score else None,
        checks=_checks(run) if run is not None and feedback.checks else (),
    )


def stages(submission: Submission) -> tuple[Stage, ...]:
    """Each step in order, the current one marked; a failure is marked where it stopped."""
    status = submission.status
    if status in WORKING:
        reached = WORKING.index(status)
    else:
        seen = [WORKING.index(S(e.status)) for e in submission.events if e.status in {w.value for w in WORKING}]
        reached = max(seen, default=0) if status is S.FAILED else len(WORKING)
    steps = []
    for i, step in enumerate(WORKING):
        if status is S.FAILED and i == reached:
            state = "failed"
        else:
            state = "done" if i < reached else "current" if i == reached else "todo"
        steps.append(Stage(step.value, STATUS_WORDS[step], state))
    last = S.FAILED if status is S.FAILED else S.COMPLETED
    steps.append(Stage(last.value, STATUS_WORDS[last], "current" if status.terminal else "todo"))
    return tuple(steps)


def problem(submission: Submission) -> Problem | None:
    """The failure told to the candidate: theirs with what to fix, ours as ours."""
    code, reason = submission.failure_code, _cap(inert(submission.failure_reason), MAX_REASON_CHARS)
    run = submission.result_run or (submission.runs[-1] if submission.runs else None)
    logs = (run.logs or {}) if run is not None else {}
    if code in invitations.OUR_FAILURES:
        return Problem("ours", OURS, "", "", "", counts=False)
    if code == FailureCode.INSTALL_FAILED:
        tail = _tail(logs.get("install"), INSTALL_LOG_LINES)
        return Problem("install", "Your dependencies could not be installed, so the hidden tests did not run. "
                       "Fix requirements.txt and submit again.", reason, "the installer's output" if tail else "", tail,
                       counts=True)
    if code == FailureCode.TIMED_OUT:
        return Problem("timeout", "Grading did not finish within its time limit. This can mean your app answered too "
                       "slowly or stopped answering some requests, but it can also be a problem on our side: we cannot "
                       "tell which from here. If you think it was ours, tell the hiring team.",
                       reason, "", "", counts=True)
    if code == FailureCode.CLONE_FAILED:
        return Problem("clone", "We could not fetch your repository. Check that the URL is public and the branch, tag "
                       "or commit exists, then submit again.", reason, "", "", counts=True)
    notes = inert(run.notes) if run is not None and submission.status is S.COMPLETED else ""
    match = _STARTUP.search(notes)
    if match:
        name = next((n for n in APP_LOGS if (logs.get(n) or "").strip()), "")
        sentence = notes[match.start():].split("\n", 1)[0].rstrip(".")
        return Problem("startup", f"Your app never became ready: {sentence}. The hidden tests did not run. "
                       "Check that it starts with the command in the brief.", "", APP_LOGS.get(name, ""),
                       _tail(logs.get(name), APP_LOG_LINES), counts=True)
    if submission.status is S.FAILED:
        return Problem("other", "Your submission could not be graded.", reason, "", "", counts=True)
    return None


def _score(run: GradingRun, spec: AssessmentSpec) -> CandidateScore | None:
    if run.score_total is None or run.score_max is None:
        return None
    categories = tuple(
        CategoryScore(spec.categories[name].title or name if name in spec.categories else name,
                      float(entry.get("score", 0)), float(entry.get("max", 0)))
        for name, entry in (run.categories or {}).items()
    )
    return CandidateScore(run.score_total, run.score_max, categories)


def _checks(run: GradingRun) -> tuple[CheckLine, ...]:
    return tuple(CheckLine(c.title or c.check_id, OUTCOME_WORDS.get(c.outcome, "not run")) for c in run.checks)


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tail(text: str | None, lines: int) -> str:
    """The last ``lines`` non-empty-ended lines of a log, inert and each line capped."""
    if not text:
        return ""
    kept = inert(text).rstrip("\n").split("\n")[-lines:]
    return "\n".join(_cap(line, MAX_LINE_CHARS) for line in kept)
