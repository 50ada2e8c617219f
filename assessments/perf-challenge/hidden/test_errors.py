"""error-shape: unknown paths, wrong methods and non-numeric ids answer the JSON error shape."""

from __future__ import annotations

import pytest
import support

pytestmark = pytest.mark.check("error-shape")


@pytest.mark.parametrize(
    "path", ["/no-such-path", "/books/1/extra", "/api/books", "/books/abc", "/books/-1", "/authors/x1", "/books/1.5"]
)
def test_unknown_path_is_404(http, path):
    support.assert_error(http.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/books/1"),
        ("POST", "/books"),
        ("PUT", "/reviews"),
        ("GET", "/reviews"),
        ("POST", "/orders"),
        ("DELETE", "/authors/1"),
    ],
)
def test_wrong_method_is_405(http, method, path):
    support.assert_error(http.request(method, path), 405, "method_not_allowed")
