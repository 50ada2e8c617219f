"""Turning models into JSON-ready dicts."""

from .common import average, iso
from .models import Author, Book, Order, Review


def review_to_dict(review: Review) -> dict:
    return {"id": review.id, "rating": review.rating, "body": review.body,
            "created_at": iso(review.created_at)}


def author_to_dict(author: Author) -> dict:
    return {"id": author.id, "name": author.name, "country": author.country}


def book_to_dict(book: Book, reviews: list[Review] | None = None) -> dict:
    """The full book: author, every review (book.reviews unless given), and review statistics."""
    reviews = [review_to_dict(r) for r in (book.reviews if reviews is None else reviews)]
    ratings = [r["rating"] for r in reviews]
    author = author_to_dict(book.author)
    return {
        "id": book.id,
        "title": book.title,
        "genre": book.genre,
        "published_year": book.published_year,
        "price_cents": book.price_cents,
        "isbn": book.isbn,
        "author": {"id": author["id"], "name": author["name"]},
        "review_count": len(ratings),
        "average_rating": average(sum(ratings), len(ratings)),
        "reviews": reviews,
    }


def book_summary(book: Book, reviews: list[Review] | None = None) -> dict:
    data = book_to_dict(book, reviews)
    del data["reviews"]
    return data


def order_to_dict(order: Order) -> dict:
    return {"id": order.id, "book_id": order.book_id, "quantity": order.quantity,
            "customer_email": order.customer_email, "created_at": iso(order.created_at)}
