"""The ``grader`` command: Flask's CLI plus grading, keys, assessments and images.

``grader db upgrade`` (Flask-Migrate) and ``grader run`` come from FlaskGroup.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from grader import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """Grade take-home assessments in hardened Docker sandboxes."""


# ------------------------------------------------------------------ keys
@main.group()
def keys() -> None:
    """Manage API keys (stored hashed; a key is shown once)."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(["recruiter", "interviewer", "admin"]))
@click.option("--label", default="")
@with_appcontext
def keys_create(role: str, label: str) -> None:
    """Create a key for a machine and print it (only now: it is stored hashed)."""
    from grader.extensions import db
    from grader.services.keys import create_key

    issued = create_key(role, label)
    db.session.commit()
    click.echo(issued.token)


@keys.command("list")
@with_appcontext
def keys_list() -> None:
    from grader.services.keys import list_keys

    for key in list_keys():
        state = "revoked" if key.revoked_at else "active"
        click.echo(f"{key.id}\t{key.prefix}\t{key.role}\t{state}\t{key.label}")


@keys.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
def keys_revoke(key_id: int) -> None:
    from grader.services.keys import revoke_key

    revoke_key(key_id)
    click.echo(f"revoked key {key_id}")


# ----------------------------------------------------------------- users
@main.group("users")
def users_group() -> None:
    """Staff accounts for the web app (recruiter, interviewer, admin)."""


@users_group.command("create")
@click.option("--role", required=True, type=click.Choice(["recruiter", "interviewer", "admin"]))
@click.option("--name", default="")
@click.option("--password", envvar="GRADER_USER_PASSWORD", default=None,
              help="read from GRADER_USER_PASSWORD, else asked for (never echoed)")
@click.argument("email")
@with_appcontext
def users_create(role: str, name: str, password: str | None, email: str) -> None:
    """Create a staff account; `grader users create --role admin EMAIL` makes the first admin."""
    from grader.errors import Invalid
    from grader.services.users import NewUser, create_user

    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(NewUser(email=email, role=role, password=password, name=name))
    except Invalid as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"created {user.role} {user.email}")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    from grader.services.users import list_users

    for user in list_users():
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{'active' if user.active else 'inactive'}")


# ----------------------------------------------------------- assessments
@main.group()
def assessments() -> None:
    """List and validate assessment definitions."""


@assessments.command("list")
@with_appcontext
def assessments_list() -> None:
    from grader.services.catalog import specs

    for spec in specs().values():
        click.echo(f"{spec.slug}\tv{spec.version}\t{len(spec.checks)} checks\t{spec.title}")


@assessments.command("validate")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False))
@with_appcontext
def assessments_validate(folders: tuple[str, ...]) -> None:
    """Check assessment.yaml files against the schema (all on the search path by default)."""
    from pathlib import Path

    from grader.services import catalog
    from grader.specs import SpecError, search_path

    if not folders:
        roots = search_path(current_app.config["GRADER_ASSESSMENTS_PATH"])
        folders = tuple(str(f) for r in roots if r.is_dir() for f in sorted(r.iterdir()) if (f / "assessment.yaml").is_file())
    failed = False
    for folder in folders:
        try:
            spec = catalog.load(Path(folder)).spec
            click.echo(f"ok   {spec.slug} v{spec.version}: {len(spec.checks)} checks, {len(spec.categories)} categories")
        except SpecError as exc:
            failed = True
            click.echo(f"FAIL {folder}: {exc}", err=True)
    sys.exit(1 if failed else 0)


@assessments.command("export")
@click.argument("slug")
@click.argument("target", type=click.Path(file_okay=False))
@with_appcontext
def assessments_export(slug: str, target: str) -> None:
    """Write an assessment's handout (e.g. the starter app) to TARGET as a fresh git repository."""
    from pathlib import Path

    from grader.errors import Invalid
    from grader.services.catalog import spec_for
    from grader.services.handout import export

    try:
        sha = export(spec_for(slug), Path(target))
    except Invalid as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"exported {slug} to {target} (commit {sha[:12]})")


# ---------------------------------------------------------------- images
@main.command("images")
@with_appcontext
def images_build() -> None:
    """Build the sandbox images and every assessment's own images now (otherwise the first grading does)."""
    from grader.services.catalog import specs
    from grader.services.environment import environment

    env = environment(current_app.config)
    click.echo(f"runner {env.images.runner}\ntester {env.images.tester}")
    for spec in specs().values():
        for name, tag in env.assessment_images(spec).items():
            click.echo(f"{spec.slug}/{name} {tag}")


@main.command("sweep")
@with_appcontext
def sweep() -> None:
    """Re-queue or fail stuck submissions once (the worker also does this every minute)."""
    from grader.services.submissions import sweep_stuck

    click.echo(json.dumps(sweep_stuck()))


# ----------------------------------------------------------------- grade
@main.command("grade")
@click.argument("source")
@click.option("--assessment", "slug", required=True, help="assessment slug, e.g. saas-api")
@click.option("--ref", default="HEAD", show_default=True, help="branch, tag or commit SHA")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--api", "api_url", default=None, help="submit to a running grader at this URL instead")
@click.option("--key", "api_key", envvar="GRADER_API_KEY", default=None, help="API key for --api (recruiter or higher)")
@click.option("--name", "candidate_name", default="CLI user", show_default=True)
@click.option("--email", "candidate_email", default="cli@example.com", show_default=True)
@click.option("--timeout", default=1800, show_default=True, help="seconds to wait with --api")
@with_appcontext
def grade_cmd(source, slug, ref, as_json, api_url, api_key, candidate_name, candidate_email, timeout) -> None:
    """Grade SOURCE (a git URL, or a local folder in development) and print the report."""
    if api_url:
        if not api_key:
            raise click.UsageError("--api needs --key (or GRADER_API_KEY)")
        body = _grade_remote(api_url, api_key, source, slug, ref, candidate_name, candidate_email, timeout, as_json)
    else:
        body = _grade_local(source, slug, ref, candidate_name, candidate_email)
    if as_json:
        click.echo(json.dumps(body, indent=2))
    else:
        click.echo(render_report(body))
    sys.exit(0 if body["status"] == "completed" else 1)


def _grade_local(source, slug, ref, name, email) -> dict[str, Any]:
    from flask_migrate import upgrade

    from grader.errors import ApiError
    from grader.models import Role
    from grader.services import reports
    from grader.services.grading import grade_until_done
    from grader.services.submissions import NewSubmission, submit

    upgrade()
    try:
        receipt = submit(NewSubmission(slug, name, email, source, ref), enqueue=False)
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"grading {source} ({slug}) as {receipt.submission.public_id} ...", err=True)
    # Synchronous, so an outage of ours is waited out here with the worker's back-off, then reported failed.
    grade_until_done(receipt.submission.id, on_retry=lambda retry: click.echo(
        f"  our infrastructure failed ({retry.reason}); retrying in {retry.delay_s:g} s", err=True))
    from grader.extensions import db

    db.session.refresh(receipt.submission)
    return reports.report(receipt.submission, Role.INTERVIEWER)


def _grade_remote(url, key, source, slug, ref, name, email, timeout, quiet) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=30) as http:
        response = http.post(
            "/api/v1/submissions",
            json={"assessment": slug, "candidate_name": name, "candidate_email": email, "repo_url": source, "ref": ref},
        )
        if response.status_code != 202:
            raise click.ClickException(f"submission refused ({response.status_code}): {response.text}")
        public_id = response.json()["id"]
        click.echo(f"submitted {public_id}", err=True)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            status = http.get(f"/api/v1/submissions/{public_id}").json()["status"]
            if status != last:
                click.echo(f"  {status}", err=True)
                last = status
            if status in ("completed", "failed"):
                break
            time.sleep(1)
        else:
            raise click.ClickException(f"{public_id} did not finish within {timeout} s (last status {last})")
        report = http.get(f"/api/v1/submissions/{public_id}/report")
        if report.status_code != 200:
            raise click.ClickException(f"could not read the report ({report.status_code}): {report.text}")
        return report.json()


def render_report(body: dict[str, Any]) -> str:
    """A plain-text report for people."""
    lines = [f"Submission {body['id']}  assessment {body['assessment']}  status {body['status'].upper()}"]
    if body.get("commit"):
        lines.append(f"Commit     {body['commit']}")
    if body.get("failure_reason"):
        lines.append(f"Reason     {body['failure_reason']}")
    score = body.get("score")
    if score:
        lines.append(f"Score      {score['total']:g} / {score['max']:g}")
        for name, cat in score["categories"].items():
            lines.append(f"  {name:<22} {cat['score']:>6g} / {cat['max']:g}")
    if body.get("checks"):
        lines.append("Checks")
        for check in body["checks"]:
            mark = {"passed": "PASS", "partial": "PART", "failed": "FAIL", "error": "ERR ", "not_run": "----"}.get(check["outcome"], "?")
            lines.append(f"  {mark} {check['id']:<34} {check['points']:>6g}/{check['max_points']:<6g} {check['category']}")
            if check["outcome"] != "passed" and check.get("message"):
                lines.append(f"         {check['message'].splitlines()[0][:110]}")
    performance = (body.get("signals") or {}).get("performance")
    if performance:
        lines.append("Performance (starter -> candidate): statements per request at the large probe, p95 ms under load")
        for endpoint, row in performance["endpoints"].items():
            before, after = row["starter"], row["candidate"]
            lines.append(
                f"  {endpoint:<12} statements {_num(before.get('queries_large')):>6} -> {_num(after.get('queries_large')):<6}"
                f" p95 {_num(before.get('p95')):>7} -> {_num(after.get('p95')):<7} ({_num(row.get('p95_ratio'))}x)"
            )
    timings = {k: v for k, v in (body.get("timings") or {}).items() if v is not None}
    if timings:
        lines.append("Timings    " + "  ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    return "\n".join(lines)


def _num(value) -> str:
    return "-" if value is None else f"{value:g}"


if __name__ == "__main__":  # pragma: no cover
    main()
