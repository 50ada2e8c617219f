"""API keys, managed by admins."""

from flask import jsonify

from grader.api.auth import require
from grader.api.schemas import KeyIn, parse
from grader.api.v1.blueprint import bp
from grader.extensions import db
from grader.models import ApiKey, Role
from grader.services import keys


def _key_view(key: ApiKey) -> dict:
    return {
        "id": key.id,
        "prefix": key.prefix,
        "role": key.role,
        "label": key.label,
        "created_at": key.created_at.isoformat() + "Z",
        "revoked": key.revoked_at is not None,
    }


@bp.get("/keys")
@require(Role.ADMIN)
def list_keys():
    items = [_key_view(k) for k in keys.list_keys()]
    return jsonify({"items": items, "total": len(items)})


@bp.post("/keys")
@require(Role.ADMIN)
def create_key():
    body = parse(KeyIn)
    issued = keys.create_key(body.role, body.label)
    db.session.commit()
    return jsonify({**_key_view(issued.key), "key": issued.token}), 201


@bp.delete("/keys/<int:key_id>")
@require(Role.ADMIN)
def revoke_key(key_id: int):
    keys.revoke_key(key_id)
    return "", 204
