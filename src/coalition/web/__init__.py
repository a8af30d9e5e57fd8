"""Web assembly: the FastAPI application, API and HTML, templates and static files."""
