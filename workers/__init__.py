"""Celery: the app bound to Flask, thin tasks, and the worker entry module."""
