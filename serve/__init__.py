"""serve: the Flask API over the published catalog (read-only) and app.sqlite.

``app.create_app`` builds it; ``wsgi`` runs it under gunicorn. One module per concern:
blueprints (health, auth, movies, lists, genres, status, openapi), ``catalog`` (read-only
snapshot reader), ``response_cache`` (rendered catalogue answers per snapshot), ``appdb``
(users + migrations), ``tokens`` (JWT), ``passwords`` (scrypt), ``errors`` (the one JSON
error shape), ``params`` (input parsing), ``images`` (TMDB URLs).
"""
