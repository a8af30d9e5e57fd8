"""ASGI entry point for uvicorn or gunicorn: `coalition.web.asgi:app`."""

from coalition.web.app import create_app

app = create_app(background=True)
