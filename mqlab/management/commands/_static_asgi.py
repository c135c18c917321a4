"""The app with its static files served by Django (for benchmarks that open the pages in a
browser without a separate web server): ``daphne mqlab.management.commands._static_asgi:app``."""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from mqlab.asgi import application

app = ASGIStaticFilesHandler(application)
