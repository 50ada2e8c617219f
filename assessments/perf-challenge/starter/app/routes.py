"""All HTTP endpoints."""

from datetime import datetime, timezone

from flask import Blueprint, jsonify, request

from .common import INT32_MAX, MAX_TOP_BOOKS, average, int_arg, invalid, is_int, json_object, not_found, pagination, valid_text
from .models import Author, Book, Order, Review, db
from .serializers import book_summary, book_to_dict, order_to_dict, review_to_dict
from .stock import fetch_stock

bp = Blueprint("api", __name__)


def get_book_or_404(book_id: int) -> Book:
    book = db.session.get(Book, book_id)
    if book is None:
        raise not_found("book")
    return book


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/books")
def list_books():
    query = Book.query
    genre = request.args.get("genre", "")
    if genre:
        query = query.filter(Book.genre == genre)
    author_id = int_arg("author_id")
    if author_id is not None:
        query = query.filter(Book.author_id == (author_id if author_id <= INT32_MAX else 0))
    books = query.order_by(Book.id).all()
    reviews_by_book: dict[int, list[Review]] = {}
    for review in Review.query.all():
        reviews_by_book.setdefault(review.book_id, []).append(review)
    return jsonify([book_summary(book, reviews_by_book.get(book.id, [])) for book in books])


@bp.get("/books/<id:book_id>")
def get_book(book_id: int):
    book = get_book_or_404(book_id)
    stock = fetch_stock(book.isbn)
    data = book_to_dict(book)
    newest = sorted(book.reviews, key=lambda r: (r.created_at, r.id), reverse=True)[:10]
    data["reviews"] = [review_to_dict(r) for r in newest]
    data["stock"] = stock
    return data


@bp.patch("/books/<id:book_id>")
def patch_book(book_id: int):
    book = get_book_or_404(book_id)
    data = json_object()
    if "title" not in data and "price_cents" not in data:
        raise invalid("provide title and/or price_cents")
    if "title" in data:
        book.title = valid_text(data["title"], "title", 300)
    if "price_cents" in data:
        price = data["price_cents"]
        if not is_int(price) or not 0 <= price <= INT32_MAX:
            raise invalid("price_cents must be a non-negative integer")
        book.price_cents = price
    db.session.commit()
    return book_summary(book)


@bp.get("/authors/<id:author_id>")
def get_author(author_id: int):
    author = db.session.get(Author, author_id)
    if author is None:
        raise not_found("author")
    books = []
    for book in author.books:
        full = book_to_dict(book)
        books.append({"id": full["id"], "title": full["title"],
                      "review_count": full["review_count"],
                      "average_rating": full["average_rating"]})
    return {"id": author.id, "name": author.name, "country": author.country, "books": books}


@bp.get("/orders")
def list_orders():
    email = request.args.get("customer_email", "")
    if not email:
        raise invalid("customer_email is required")
    page, per_page = pagination()
    orders = Order.query.filter(Order.customer_email == email).all()
    orders.sort(key=lambda o: (o.created_at, o.id), reverse=True)
    items = [order_to_dict(o) for o in orders]
    start = (page - 1) * per_page
    return {"items": items[start:start + per_page], "page": page, "per_page": per_page,
            "total": len(items)}


@bp.get("/reports/top-books")
def top_books():
    limit = int_arg("limit", 10, maximum=MAX_TOP_BOOKS)
    ratings: dict[int, list[int]] = {}
    for review in Review.query.all():
        ratings.setdefault(review.book_id, []).append(review.rating)
    ranked = sorted(
        ((book_id, len(rs), sum(rs)) for book_id, rs in ratings.items() if len(rs) >= 5),
        key=lambda row: (-(row[2] / row[1]), -row[1], row[0]),
    )
    result = []
    for book_id, count, total in ranked[:limit]:
        book = db.session.get(Book, book_id)
        result.append({"id": book.id, "title": book.title,
                       "average_rating": average(total, count), "review_count": count})
    return jsonify(result)


@bp.post("/reviews")
def create_review():
    data = json_object()
    book_id, rating = data.get("book_id"), data.get("rating")
    if not is_int(book_id) or book_id < 1:
        raise invalid("book_id must be a positive integer")
    if not is_int(rating) or not 1 <= rating <= 5:
        raise invalid("rating must be an integer from 1 to 5")
    body = valid_text(data.get("body"), "body", 5000)
    if book_id > INT32_MAX:
        raise not_found("book")
    get_book_or_404(book_id)
    review = Review(book_id=book_id, rating=rating, body=body,
                    created_at=datetime.now(timezone.utc))
    db.session.add(review)
    db.session.commit()
    data = review_to_dict(review)
    return {"id": data.pop("id"), "book_id": book_id, **data}, 201
