import json
import os
import threading

from flask import Flask, jsonify, request

_lock = threading.Lock()


def create_app():
    app = Flask(__name__)
    path = os.environ.get("DATABASE_PATH", "notes.json")

    def load():
        try:
            with open(path) as fh:
                return json.load(fh)
        except FileNotFoundError:
            return []

    @app.get("/healthz")
    def health():
        return {"status": "ok"}

    @app.post("/notes")
    def create():
        body = request.get_json(silent=True) or {}
        if not isinstance(body.get("text"), str) or not body["text"]:
            return jsonify(error={"code": "invalid", "message": "text is required"}), 422
        with _lock:
            notes = load()
            note = {"id": len(notes) + 1, "text": body["text"]}
            notes.append(note)
            with open(path, "w") as fh:
                json.dump(notes, fh)
        return jsonify(note), 201

    @app.get("/notes")
    def index():
        return {"items": load()[:1]}

    @app.get("/notes/<int:note_id>")
    def show(note_id):
        for note in load():
            if note["id"] == note_id:
                return note
        return "<h1>Not here</h1>", 404

    return app
