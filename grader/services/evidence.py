"""The evidence page of one submission as plain data: what a recruiter or an interviewer may read.

Built here, not in the route or the template, so the role decides what is *computed*:
a recruiter's page model holds no output, transcript, log or diff at all, and a template
cannot leak what it was never given. Candidate-controlled text is made inert here as well
as in the template (the curl command line is built from it, so it must be clean first).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grader.models import Annotation, CheckResult, GradingRun, Role, Submission
from grader.services import catalog, reports, stability
from grader.services.evidence_perf import PerfSection, check_figures, perf_section
from grader.services.reviews import overrides_for
from grader.services.untrusted import inert, without_credentials
from grader.specs import AssessmentSpec

NOT_PASSED = ("failed", "error", "partial", "not_run")
_DOUBLE_QUOTE_UNSAFE = set('$`"\\!')


@dataclass(frozen=True)
class Note:
    """A note, override or regrade reason, with who and when."""

    kind: str  # note|override|regrade
    check_id: str | None
    body: str
    points: float | None  # overrides only
    author: str
    at: datetime
    attempt: int | None  # the run it was made on


@dataclass(frozen=True)
class Account:
    """The account the brief asks the candidate for; the text only on an interviewer's page."""

    path: str
    title: str
    present: bool
    markdown: str = ""  # the candidate's words, rendered by the template's escaping Markdown filter
    truncated: bool = False
    problem: str = ""


@dataclass(frozen=True)
class Exchange:
    """One recorded HTTP exchange of a hidden test, and a curl line that repeats the request."""

    instance: str  # which copy of the app answered (saas-api: main or strict)
    method: str
    path: str
    request: str  # the body sent (an excerpt)
    status: int | None
    content_type: str
    response: str  # the answer (an excerpt)
    ms: float | None
    error: str  # set when no answer came
    curl: str
    refused: str = ""  # set when the answer broke a cap of the tester's client (size, decompression, time)


@dataclass(frozen=True)
class CheckView:
    check_id: str
    anchor: str
    title: str
    outcome: str
    points: float  # what counts: the override's points when there is one
    graded_points: float
    max_points: float
    severity: str | None
    contract: str
    message: str
    override: Note | None
    notes: tuple[Note, ...]
    # Interviewers only (empty for recruiters):
    output: str = ""
    exchanges: tuple[Exchange, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()  # perf evidence as (label, value) lines
    show_evidence: bool = False


@dataclass(frozen=True)
class Category:
    name: str
    title: str
    score: float  # with overrides
    max: float
    checks: tuple[CheckView, ...]


@dataclass(frozen=True)
class RunSummary:
    attempt: int
    status: str
    score: float | None
    adjusted: float | None
    max: float | None
    verdict: str | None
    started_at: datetime | None
    finished_at: datetime | None
    worker: str
    notes: str
    changes: tuple[tuple[str, str, str], ...]  # vs the previous completed run: (check, before, after)
    compared_with: int | None  # the attempt it is compared with


@dataclass(frozen=True)
class DiffFile:
    path: str
    status: str
    lines: tuple[tuple[str, str], ...]  # (css class, text)


@dataclass(frozen=True)
class Page:
    public_id: str
    candidate: str
    assessment: str
    assessment_title: str
    status: str
    repo_url: str
    ref: str
    commit: str
    failure_code: str | None
    failure_reason: str
    verdict: dict[str, str] | None
    findings: tuple[dict[str, str], ...]  # {check_id, anchor, sentence, title}
    score: dict[str, Any] | None  # {total, graded, max, overridden, firmness}
    categories: tuple[Category, ...]
    signals: dict[str, Any]
    full: bool  # interviewer or admin: everything below is filled
    check_choices: tuple[tuple[str, str], ...]
    account: Account | None = None
    annotations: tuple[Note, ...] = ()
    perf: PerfSection | None = None
    logs: tuple[tuple[str, str], ...] = ()
    timeline: tuple[tuple[str, datetime, str], ...] = ()
    stage_seconds: tuple[tuple[str, float], ...] = ()
    runs: tuple[RunSummary, ...] = ()
    diff: tuple[DiffFile, ...] = ()
    diff_attempt: int | None = None


def anchor(check_id: str) -> str:
    return "check-" + check_id


def curl_for(method: str, path: str, body: str) -> str:
    """A shell line repeating the request against ``$APP``; every piece from the data is quoted."""
    path = inert(path).replace("\n", "")
    if "://" in path:  # an absolute URL: keep the path, the host was the grader's network
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    if not path.startswith("/"):
        path = "/" + path
    target = f'"$APP{path}"' if not _DOUBLE_QUOTE_UNSAFE & set(path) else '"$APP"' + shlex.quote(path)
    parts = ["curl", "-i", "-X", shlex.quote(inert(method).upper() or "GET"), target]
    if body:
        parts += ["-H", shlex.quote("Content-Type: application/json"), "--data-raw", shlex.quote(inert(body))]
    return " ".join(parts)


def exchanges(evidence: list[Any]) -> tuple[Exchange, ...]:
    """The transcripts a hidden test attached, oldest first."""
    found = []
    for item in evidence or []:
        entries = item.get("transcript") if isinstance(item, dict) else None
        for e in entries if isinstance(entries, list) else []:
            if not isinstance(e, dict):
                continue
            method, path, body = str(e.get("method") or "GET"), str(e.get("path") or "/"), inert(e.get("request") or "")
            found.append(Exchange(
                instance=inert(e.get("instance") or ""), method=inert(method), path=inert(path), request=body,
                status=e.get("status") if isinstance(e.get("status"), int) else None,
                content_type=inert(e.get("content_type") or ""), response=inert(e.get("response") or ""),
                ms=e.get("ms") if isinstance(e.get("ms"), (int, float)) else None,
                error=inert(e.get("error") or ""), curl=curl_for(method, path, body),
                refused=inert(e.get("refused") or ""),
            ))
    return tuple(found)


def _note(a: Annotation, attempts: dict[int, int]) -> Note:
    return Note(a.kind, a.check_id, inert(a.body), a.points, a.author_label, a.created_at, attempts.get(a.run_id))


def _check(c: CheckResult, spec, override: Note | None, notes: tuple[Note, ...], full: bool) -> CheckView:
    rule = spec.check(c.check_id) if spec is not None else None
    evidence = full and c.outcome in NOT_PASSED
    return CheckView(
        check_id=c.check_id, anchor=anchor(c.check_id), title=inert(c.title or c.check_id), outcome=c.outcome,
        points=override.points if override is not None else c.points, graded_points=c.points, max_points=c.max_points,
        severity=rule.severity if rule else None, contract=inert(c.contract), message=inert(c.message),
        override=override, notes=notes, show_evidence=evidence,
        output=inert(c.output) if evidence else "", exchanges=exchanges(c.evidence) if evidence else (),
        figures=check_figures(c.evidence) if evidence else (),
    )


def _categories(run: GradingRun | None, spec, notes: tuple[Note, ...], attempts, full: bool) -> tuple[Category, ...]:
    if run is None:
        return ()
    overrides = {k: _note(v, attempts) for k, v in overrides_for(run).items()}
    by_category: dict[str, list[CheckView]] = {}
    for c in run.checks:
        near = tuple(n for n in notes if n.check_id == c.check_id and n.kind == "note")
        by_category.setdefault(c.category, []).append(_check(c, spec, overrides.get(c.check_id), near, full))
    names = list(spec.categories) if spec is not None else []
    names += [n for n in list(run.categories or {}) + list(by_category) if n not in names]
    result = []
    for name in names:
        checks = tuple(by_category.get(name, ()))
        stored = (run.categories or {}).get(name) or {}
        title = spec.categories[name].title if spec is not None and name in spec.categories else ""
        score = round(sum(c.points for c in checks), 2) if checks else stored.get("score", 0.0)
        maximum = stored.get("max", round(sum(c.max_points for c in checks), 2))
        result.append(Category(name, title or name, score, maximum, checks))
    return tuple(result)


def _score(run: GradingRun | None) -> dict[str, Any] | None:
    if run is None or run.score_total is None:
        return None
    total = run.adjusted_total if run.adjusted_total is not None else run.score_total
    return {"total": total, "graded": run.score_total, "max": run.score_max,
            "overridden": abs(total - run.score_total) > 1e-9, "firmness": stability.summary(run.score_spread)}


def _signals(run: GradingRun | None) -> dict[str, Any]:
    signals = (run.signals if run else None) or {}
    own = signals.get("own_tests") if isinstance(signals.get("own_tests"), dict) else None
    return {"own_tests": own, "coverage": (own or {}).get("coverage_percent"), "lint": signals.get("ruff_findings"),
            "structure": signals.get("structure") if isinstance(signals.get("structure"), dict) else None}


def changes(before: GradingRun, after: GradingRun) -> tuple[tuple[str, str, str], ...]:
    """Checks whose outcome or points differ between two runs."""
    old = {c.check_id: c for c in before.checks}
    new = {c.check_id: c for c in after.checks}
    found = []
    for check_id in list(old) + [k for k in new if k not in old]:
        a, b = old.get(check_id), new.get(check_id)
        if a is None or b is None or a.outcome != b.outcome or abs(a.points - b.points) > 1e-9:
            found.append((check_id, _state(a), _state(b)))
    return tuple(found)


def _state(check: CheckResult | None) -> str:
    return f"{check.outcome} {check.points:g}" if check is not None else "absent"


def _runs(submission: Submission) -> tuple[RunSummary, ...]:
    result, previous = [], None
    for run in submission.runs:
        diff = changes(previous, run) if previous is not None and run.status == "completed" else ()
        result.append(RunSummary(
            run.attempt, run.status, run.score_total, run.adjusted_total, run.score_max, run.verdict, run.started_at,
            run.finished_at, inert(run.worker_host or ""), inert(run.notes or ""), diff,
            previous.attempt if previous is not None and run.status == "completed" else None,
        ))
        if run.status == "completed":
            previous = run
    return tuple(result)


def diff_files(entries: list[Any] | None) -> tuple[DiffFile, ...]:
    """The candidate's changes against the handout, each line with its colour class."""
    files = []
    for entry in entries or []:
        if not isinstance(entry, dict):
            continue
        lines = []
        for line in inert(entry.get("diff") or "").split("\n"):
            kind = ("diff-add" if line.startswith("+") and not line.startswith("+++")
                    else "diff-del" if line.startswith("-") and not line.startswith("---")
                    else "muted" if line.startswith(("@@", "+++", "---")) else "")
            lines.append((kind, line))
        files.append(DiffFile(inert(entry.get("path") or "?"), inert(entry.get("status") or ""), tuple(lines)))
    return tuple(files)


def _account(run: GradingRun | None, spec: AssessmentSpec | None, full: bool) -> Account | None:
    view = reports.account_view(run.candidate_account if run else None, full)
    if view is None:
        return None
    title = spec.candidate_account.title if spec is not None and spec.candidate_account else "The candidate's account"
    return Account(inert(view["path"] or ""), title, view["present"], view.get("markdown", ""),
                   view.get("truncated", False), inert(view.get("problem") or ""))


def page(submission: Submission, role: Role) -> Page:
    """The page model: recruiters get verdict, score, signals and outcomes; interviewers everything."""
    full = role.at_least(Role.INTERVIEWER)
    run = reports.latest_run(submission)
    spec = catalog.spec_or_none(submission.assessment.slug)  # None: show what was stored
    attempts = {r.id: r.attempt for r in submission.runs}
    notes = tuple(_note(a, attempts) for a in submission.annotations)
    titles = {c.check_id: inert(c.title or c.check_id) for c in (run.checks if run else [])}
    findings = tuple({"check_id": f.get("check_id", ""), "anchor": anchor(f.get("check_id", "")),
                      "sentence": inert(f.get("sentence", "")), "title": titles.get(f.get("check_id", ""), "")}
                     for f in (run.critical_findings if run else None) or [] if isinstance(f, dict))
    base = dict(
        public_id=submission.public_id, candidate=inert(submission.candidate_name), assessment=submission.assessment.slug,
        assessment_title=submission.assessment.title or submission.assessment.slug, status=submission.status.value,
        repo_url=inert(without_credentials(submission.repo_url)), ref=inert(submission.ref),
        commit=inert(submission.commit_sha or ""), failure_code=submission.failure_code,
        failure_reason=inert(submission.failure_reason or ""), verdict=reports.verdict_view(submission, run),
        findings=findings, score=_score(run), categories=_categories(run, spec, notes, attempts, full),
        signals=_signals(run), full=full, check_choices=tuple(titles.items()), account=_account(run, spec, full),
    )
    if not full:
        return Page(**base)
    diff_run = run if run is not None and run.handout_diff else next(
        (r for r in reversed(list(submission.runs)) if r.handout_diff), None)
    return Page(
        **base, annotations=notes, perf=perf_section(run),
        logs=tuple((inert(stage), inert(text)) for stage, text in ((run.logs if run else None) or {}).items()),
        timeline=tuple((e.status, e.at, inert(e.detail or "")) for e in submission.events),
        stage_seconds=tuple(((run.stage_seconds if run else None) or {}).items()), runs=_runs(submission),
        diff=diff_files(diff_run.handout_diff) if diff_run else (), diff_attempt=diff_run.attempt if diff_run else None,
    )
