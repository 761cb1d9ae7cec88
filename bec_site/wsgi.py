"""WSGI entry point (gunicorn bec_site.wsgi). Production settings unless told otherwise."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bec_site.settings.production")

application = get_wsgi_application()
