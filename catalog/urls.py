"""Web routes of the catalog: home, search, asset pages, and static files.

Static files are served by Django (``django.contrib.staticfiles`` finders) so that the
embedded quickstart works with ``DEBUG=0`` and no web server in front; at scale put a
web server or CDN in front of ``STATIC_ROOT`` (``manage.py collectstatic``).
"""

from functools import partial

from django.contrib.staticfiles.views import serve as serve_static
from django.urls import path, re_path
from django.views.decorators.cache import cache_control

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("search", views.search, name="search"),
    path("assets/<path:urn>", views.asset_detail, name="asset"),
    re_path(
        r"^static/(?P<path>.*)$",
        cache_control(max_age=3600, public=True)(partial(serve_static, insecure=True)),
        name="static",
    ),
]
