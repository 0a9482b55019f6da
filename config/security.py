"""Security settings of Mesh Catalog, applied at the end of :mod:`config.settings`.

Every variable read here is documented in README.md ("Configuration" and "Running in
production"):

* ``SECRET_KEY``: production entry points (``config.wsgi``, ``config.asgi``, Celery
  workers) refuse to start with ``DEBUG=false`` and the built-in development key
  (:func:`check_secret_key`); ``manage.py check --deploy`` reports it as an error.
* ``MESH_HTTPS`` (default false): secure session and CSRF cookies, HTTPS redirect and
  HSTS (``MESH_HSTS_SECONDS``, default one year, with sub-domains and preload).
* ``MESH_PROXY_SSL_HEADER`` (default false): trust ``X-Forwarded-Proto: https`` from the
  reverse proxy in front (set it only behind one that overwrites the header).
* A Content-Security-Policy (django-csp): scripts, styles, images and connections from
  this site only (inline style attributes allowed; no inline scripts).
* Login throttling (django-axes): ``MESH_LOGIN_FAILURE_LIMIT`` (default 10) wrong
  passwords in a row for a user name from one address lock it out (429) for
  ``MESH_LOGIN_COOLOFF_MINUTES`` (default 15).
* Source confinement and ownership (:mod:`harvesters.paths`, :mod:`harvesters.access`),
  run liveness (:mod:`harvesters.liveness`) and Celery redelivery settings.
"""

import os
from pathlib import Path

from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from catalog.local_keys import DEV_SECRET_KEY, local_secret_key, uses_dev_key

__all__ = ["DEV_SECRET_KEY", "local_secret_key", "uses_dev_key"]
SECRET_KEY_HELP = (
    "SECRET_KEY is not set: with DEBUG=false Mesh Catalog refuses to start on the built-in "
    "development key. Set a long random key in the environment, e.g.\n"
    "  export SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\"\n"
    "(keep it the same across restarts and processes), or set DEBUG=true for local development."
)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _roots(default: list[Path]) -> list[Path]:
    raw = os.environ.get("MESH_SOURCE_PATH_ROOTS")
    if raw is None:
        return list(default)
    parts = [p.strip() for chunk in raw.split(",") for p in chunk.split(os.pathsep)]
    return [Path(p) for p in parts if p]


def apply(ns: dict) -> None:
    """Add the security settings to the settings module namespace ``ns`` (in place)."""
    ns["INSTALLED_APPS"] += ["axes", "csp", "drf_spectacular_sidecar"]
    middleware = ns["MIDDLEWARE"]
    middleware.insert(
        middleware.index("django.middleware.security.SecurityMiddleware") + 1,
        "config.csp.CachedCSPMiddleware",  # django-csp, header built once per settings
    )
    middleware.append("axes.middleware.AxesMiddleware")  # last, as django-axes asks
    # axes first (it refuses locked-out credentials), then the backends settings chose
    # (the identity block: password sign-in, and OpenID Connect when configured)
    ns["AUTHENTICATION_BACKENDS"] = [
        "axes.backends.AxesStandaloneBackend",
        *ns.get("AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]),
    ]
    # -- login throttling (django-axes)
    ns["AXES_FAILURE_LIMIT"] = int(os.environ.get("MESH_LOGIN_FAILURE_LIMIT", "10"))
    ns["AXES_COOLOFF_TIME"] = float(os.environ.get("MESH_LOGIN_COOLOFF_MINUTES", "15")) / 60
    ns["AXES_LOCKOUT_PARAMETERS"] = [["username", "ip_address"]]
    ns["AXES_RESET_ON_SUCCESS"] = True
    ns["AXES_HTTP_RESPONSE_CODE"] = 429
    ns["AXES_IPWARE_PROXY_COUNT"] = 1 if _bool("MESH_PROXY_SSL_HEADER", False) else 0
    # -- HTTPS, cookies, headers
    https = _bool("MESH_HTTPS", False)
    ns["SESSION_COOKIE_SECURE"] = ns["CSRF_COOKIE_SECURE"] = https
    ns["SESSION_COOKIE_HTTPONLY"] = True
    ns["SESSION_COOKIE_SAMESITE"] = ns["CSRF_COOKIE_SAMESITE"] = "Lax"
    ns["SECURE_SSL_REDIRECT"] = https
    ns["SECURE_HSTS_SECONDS"] = int(os.environ.get("MESH_HSTS_SECONDS", "31536000")) if https else 0
    ns["SECURE_HSTS_INCLUDE_SUBDOMAINS"] = ns["SECURE_HSTS_PRELOAD"] = https
    ns["SECURE_CONTENT_TYPE_NOSNIFF"] = True
    ns["SECURE_REFERRER_POLICY"] = "same-origin"
    ns["X_FRAME_OPTIONS"] = "DENY"
    if _bool("MESH_PROXY_SSL_HEADER", False):
        ns["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")
    ns["CONTENT_SECURITY_POLICY"] = {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "font-src": ["'self'", "data:"],
            "connect-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    }
    # signing on and out through OpenID Connect posts a form that redirects to the
    # identity provider: allow its origin as a form target
    issuer = ns.get("MESH_OIDC_ISSUER", "")
    if issuer:
        from urllib.parse import urlsplit

        origin = "{0.scheme}://{0.netloc}".format(urlsplit(issuer))
        ns["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"].append(origin)
    # -- API docs served from the installed sidecar package, never from a CDN; every
    # operation documents its error responses; a malformed ``page`` is a 400
    ns["SPECTACULAR_SETTINGS"].update(
        {
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
            "POSTPROCESSING_HOOKS": [
                "drf_spectacular.hooks.postprocess_schema_enums",
                "config.schema_hooks.add_error_responses",
            ],
        }
    )
    ns["REST_FRAMEWORK"]["DEFAULT_PAGINATION_CLASS"] = (
        "catalog.api.pagination.StrictPageNumberPagination"
    )
    ns["REST_FRAMEWORK"]["DEFAULT_FILTER_BACKENDS"] = ["catalog.api.filters.StrictFilterBackend"]
    # the API takes JSON bodies (YAML documents and OpenLineage events have their own
    # parsers): a form body is a 415, never an empty update
    ns["REST_FRAMEWORK"]["DEFAULT_PARSER_CLASSES"] = ["rest_framework.parsers.JSONParser"]
    ns["REST_FRAMEWORK"]["TEST_REQUEST_DEFAULT_FORMAT"] = "json"
    # -- sources: who may manage them, what they may read
    var_dir = Path(ns["VAR_DIR"]).resolve()
    ns["MESH_SAMPLE_LAKE_DIR"] = Path(
        os.environ.get(
            "MESH_SAMPLE_LAKE_DIR", var_dir.parent / f"{var_dir.name}-samples" / "sample_lake"
        )
    )
    ns["MESH_SOURCE_PATH_ROOTS"] = _roots([ns["MESH_SAMPLES_DIR"], ns["MESH_SAMPLE_LAKE_DIR"]])
    ns["MESH_TEAM_MEMBERSHIP_CHECK"] = "products.source_access.is_team_member"
    # lineage edits: editing members of a team that owns the downstream asset
    ns["MESH_TEAM_EDITOR_CHECK"] = "products.source_access.is_team_editor"
    # -- harvest liveness and Celery redelivery
    ns["MESH_RUN_HEARTBEAT_SECONDS"] = float(os.environ.get("MESH_RUN_HEARTBEAT_SECONDS", "15"))
    ns["MESH_RUN_LOST_SECONDS"] = float(os.environ.get("MESH_RUN_LOST_SECONDS", "120"))
    longest = int(os.environ.get("MESH_HARVEST_MAX_SECONDS", str(6 * 3600)))
    ns["CELERY_TASK_ACKS_LATE"] = True
    ns["CELERY_TASK_REJECT_ON_WORKER_LOST"] = True
    ns["CELERY_BROKER_TRANSPORT_OPTIONS"] = {"visibility_timeout": longest + 600}
    ns["CELERY_BEAT_SCHEDULE"]["harvesters-reap-lost-runs"] = {
        "task": "harvesters.reap_lost_runs",
        "schedule": 60.0,
    }
    # -- hot anonymous API reads served from memory, keyed by the catalog version
    ns["MESH_HOT_CACHE_SECONDS"] = float(os.environ.get("MESH_HOT_CACHE_SECONDS", "300"))
    # seconds a process may reuse the catalog version it read (0: read it per request)
    ns["MESH_HOT_CACHE_VERSION_SECONDS"] = float(
        os.environ.get("MESH_HOT_CACHE_VERSION_SECONDS", "0")
    )
    ns["CACHES"]["hot"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "mesh-hot-reads",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("MESH_HOT_CACHE_ENTRIES", "2000"))},
    }
    middleware.insert(
        middleware.index("django.middleware.common.CommonMiddleware") + 1,
        "catalog.hotcache.HotReadCacheMiddleware",
    )
    # -- no secret in a log line
    logging = ns["LOGGING"]
    logging.setdefault("filters", {})["redact"] = {"()": "harvesters.secrets.RedactingFilter"}
    logging["handlers"]["console"].setdefault("filters", []).append("redact")


def check_secret_key() -> None:
    """Refuse to start (ImproperlyConfigured with :data:`SECRET_KEY_HELP`) when
    ``DEBUG`` is false and ``SECRET_KEY`` is the development key. Called by the
    production entry points (WSGI, ASGI, Celery workers)."""
    from django.conf import settings

    if uses_dev_key(settings):
        raise ImproperlyConfigured(SECRET_KEY_HELP)


@register(Tags.security, deploy=True)
def secret_key_check(app_configs, **kwargs) -> list[Error]:
    """``manage.py check --deploy``: the development SECRET_KEY is an error."""
    from django.conf import settings

    if uses_dev_key(settings) or settings.SECRET_KEY == DEV_SECRET_KEY:
        return [Error(SECRET_KEY_HELP, id="mesh.E001")]
    return []
