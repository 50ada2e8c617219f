"""Projects and their nested tasks."""

from flask import Blueprint, g, request
from sqlalchemy import delete, select

from ..errors import forbidden, invalid, not_found
from ..extensions import db
from ..models import TASK_STATUSES, Project, Task, User
from ..security import login_required
from ..validation import (
    MISSING,
    json_body,
    no_content,
    paginate,
    parse_id,
    status_field,
    text_field,
)

bp = Blueprint("projects", __name__)


def project_or_404(project_id: int) -> Project:
    project = db.session.scalar(
        select(Project).where(Project.id == project_id, Project.tenant_id == g.user.tenant_id)
    )
    if project is None:
        raise not_found("Project")
    return project


def task_or_404(project_id: int, task_id: int) -> Task:
    task = db.session.scalar(
        select(Task).where(
            Task.id == task_id,
            Task.project_id == project_id,
            Task.tenant_id == g.user.tenant_id,
        )
    )
    if task is None:
        raise not_found("Task")
    return task


def assignee_field(data: dict):
    """MISSING, None, or the id of a user in the caller's tenant (else 422)."""
    if "assignee_id" not in data or data["assignee_id"] is None:
        return data.get("assignee_id", MISSING)
    user_id = parse_id(data["assignee_id"])
    exists = user_id is not None and db.session.scalar(
        select(User.id).where(User.id == user_id, User.tenant_id == g.user.tenant_id)
    )
    if not exists:
        raise invalid("assignee_id", "assignee_id must be a user of this tenant")
    return user_id


@bp.get("/projects")
@login_required
def list_projects():
    stmt = (
        select(Project)
        .where(Project.tenant_id == g.user.tenant_id)
        .order_by(Project.created_at.desc(), Project.id.desc())
    )
    return paginate(stmt)


@bp.post("/projects")
@login_required
def create_project():
    data = json_body()
    name = text_field(data, "name", 100)
    description = text_field(data, "description", 2000, min_len=0, required=False, nullable=True)
    project = Project(
        tenant_id=g.user.tenant_id,
        name=name,
        description=None if description is MISSING else description,
        created_by=g.user.id,
    )
    db.session.add(project)
    db.session.commit()
    return project.to_dict(), 201


@bp.get("/projects/<id:project_id>")
@login_required
def get_project(project_id: int):
    return project_or_404(project_id).to_dict()


@bp.patch("/projects/<id:project_id>")
@login_required
def update_project(project_id: int):
    project = project_or_404(project_id)
    data = json_body()
    name = text_field(data, "name", 100, required=False)
    description = text_field(data, "description", 2000, min_len=0, required=False, nullable=True)
    if name is not MISSING:
        project.name = name
    if description is not MISSING:
        project.description = description
    db.session.commit()
    return project.to_dict()


@bp.delete("/projects/<id:project_id>")
@login_required
def delete_project(project_id: int):
    project = project_or_404(project_id)
    if g.user.role != "admin" and project.created_by != g.user.id:
        raise forbidden("Only an admin or the project's creator can delete it")
    db.session.execute(delete(Task).where(Task.project_id == project.id))
    db.session.delete(project)
    db.session.commit()
    return no_content()


@bp.get("/projects/<id:project_id>/tasks")
@login_required
def list_tasks(project_id: int):
    project = project_or_404(project_id)
    stmt = select(Task).where(Task.project_id == project.id, Task.tenant_id == g.user.tenant_id)
    status = request.args.get("status")
    if status is not None:
        if status not in TASK_STATUSES:
            raise invalid("status", f"status must be one of: {', '.join(TASK_STATUSES)}")
        stmt = stmt.where(Task.status == status)
    return paginate(stmt.order_by(Task.id))


@bp.post("/projects/<id:project_id>/tasks")
@login_required
def create_task(project_id: int):
    project = project_or_404(project_id)
    data = json_body()
    title = text_field(data, "title", 200)
    status = status_field(data, default="todo")
    assignee_id = assignee_field(data)
    task = Task(
        tenant_id=g.user.tenant_id,
        project_id=project.id,
        title=title,
        status=status,
        assignee_id=None if assignee_id is MISSING else assignee_id,
    )
    db.session.add(task)
    db.session.commit()
    return task.to_dict(), 201


@bp.get("/projects/<id:project_id>/tasks/<id:task_id>")
@login_required
def get_task(project_id: int, task_id: int):
    return task_or_404(project_id, task_id).to_dict()


@bp.patch("/projects/<id:project_id>/tasks/<id:task_id>")
@login_required
def update_task(project_id: int, task_id: int):
    task = task_or_404(project_id, task_id)
    data = json_body()
    title = text_field(data, "title", 200, required=False)
    status = status_field(data)
    assignee_id = assignee_field(data)
    if title is not MISSING:
        task.title = title
    if status is not MISSING:
        task.status = status
    if assignee_id is not MISSING:
        task.assignee_id = assignee_id
    db.session.commit()
    return task.to_dict()


@bp.delete("/projects/<id:project_id>/tasks/<id:task_id>")
@login_required
def delete_task(project_id: int, task_id: int):
    db.session.delete(task_or_404(project_id, task_id))
    db.session.commit()
    return no_content()
