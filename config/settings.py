"""Django settings for Mesh Catalog, read from environment variables.

Every variable read here is documented in README.md ("Configuration").
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MESH_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable as a list of stripped strings."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "mozilla_django_oidc",
    "identity",
    "catalog",
    "lineage",
    "harvesters",
    "products",
    "audit",
    "access",
    "usage",
    "notifications",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "identity.middleware.ReadPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "identity.views.sso_context",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'catalog.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a harvest writes; a busy timeout (seconds)
    # makes concurrent writers wait instead of failing with "database is locked".
    # A 64 MiB page cache per connection (grown only as used; SQLite's default is 2 MiB)
    # keeps the lineage tables' indexes in memory while a big harvest writes them.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "identity.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["identity.permissions.CatalogPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "identity.schema.CatalogAutoSchema",
    "EXCEPTION_HANDLER": "catalog.api.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Mesh Catalog API",
    "DESCRIPTION": "Metadata catalog for a data mesh: assets, lineage, harvests.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # several models have a `kind` / `type` choice field: name the asset enums explicitly
    "ENUM_NAME_OVERRIDES": {
        "AssetKindEnum": "catalog.models.AssetKind",
        "AssetTypeEnum": "catalog.models.AssetType",
    },
}

# Celery: with no broker configured, tasks run eagerly in-process and their
# exceptions propagate (embedded mode). Set CELERY_BROKER_URL (e.g. redis://...) to use
# real workers.
_broker_url = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not _broker_url
# Eager mode never talks to a broker; "memory://" keeps kombu from guessing amqp://localhost.
CELERY_BROKER_URL = _broker_url or "memory://localhost/"
# The queue tasks are sent to and workers read (`celery -A config worker -Q <queue>`).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("MESH_TASK_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Beat reads its entries from the database (django-celery-beat): the CELERY_BEAT_SCHEDULE
# entries below are synced into it at start, and each source's schedule
# (harvesters/schedules.py) is a PeriodicTask row, changed without restarting beat.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A scheduled harvest message waits this long for a worker before it expires; within
# that window a schedule that fired while the workers were down runs once when they
# come back (harvesters.tasks.scheduled_harvest), not once per missed tick.
MESH_SCHEDULE_EXPIRE_SECONDS = int(os.environ.get("MESH_SCHEDULE_EXPIRE_SECONDS", str(7 * 86400)))
# The shortest interval a source schedule may have, in seconds.
MESH_SCHEDULE_MIN_SECONDS = int(os.environ.get("MESH_SCHEDULE_MIN_SECONDS", "60"))
# "Test connection": seconds a probe of a source may take before it is abandoned, and
# how many probes may hang at once per process (more are refused with 503).
MESH_PROBE_TIMEOUT_SECONDS = float(os.environ.get("MESH_PROBE_TIMEOUT_SECONDS", "10"))
MESH_PROBE_MAX_RUNNING = int(os.environ.get("MESH_PROBE_MAX_RUNNING", "4"))

# Cache: carries live harvest progress between processes. A file cache under var/
# by default; set CACHE_URL=redis://host:6379/1 to share it across machines.
if os.environ.get("CACHE_URL", "").startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Projections fed from the transactional outbox: {name: dotted path of a Projection}.
MESH_PROJECTIONS: dict[str, str] = {
    "graph": "lineage.graph.projection.GraphProjection",
    "search": "catalog.search.projection.SearchProjection",
}

# Search index (a projection of the assets): dotted path + options (CACHES pattern).
# MESH_SEARCH_BACKEND=sqlite (default; embedded SQLite FTS5 in its own file at
# MESH_SEARCH_PATH), opensearch (an OpenSearch 2.x cluster at MESH_SEARCH_URL, index
# alias MESH_SEARCH_INDEX) or a dotted path to a catalog.search.base.SearchBackend subclass.
_SEARCH_BACKENDS = {
    "sqlite": "catalog.search.sqlite_fts.SQLiteFTSBackend",
    "opensearch": "catalog.search.opensearch.OpenSearchBackend",
}
_search_backend = os.environ.get("MESH_SEARCH_BACKEND", "sqlite")
MESH_SEARCH = {
    "default": {
        "BACKEND": _SEARCH_BACKENDS.get(_search_backend, _search_backend),
        "PATH": os.environ.get("MESH_SEARCH_PATH", str(VAR_DIR / "search.sqlite3")),
    }
}
if MESH_SEARCH["default"]["BACKEND"].endswith("OpenSearchBackend"):
    MESH_SEARCH["default"].update(
        {
            "URL": os.environ.get("MESH_SEARCH_URL", "http://127.0.0.1:9200"),
            "INDEX": os.environ.get("MESH_SEARCH_INDEX", "mesh-catalog"),
            "TIMEOUT": float(os.environ.get("MESH_SEARCH_TIMEOUT", "10")),
        }
    )
# Functions adding facet values to search documents: dotted paths of
# ``enrich(asset_ids) -> {asset_id: {"domain": [...], "data_product": [...]}}``.
MESH_SEARCH_ENRICHERS: list[str] = [
    "products.links.search_facets",
    "usage.store.search_popularity",
    "governance.glossary.search_terms",
    "governance.classification.search_classes",
]
# Governance (issue 15): field lineage subtypes classes and terms do not propagate over
MESH_PROPAGATION_STOP_SUBTYPES = [
    s
    for s in os.environ.get("MESH_PROPAGATION_STOP_SUBTYPES", "AGGREGATION").split(",")
    if s.strip()
]
# documented-columns policy: the share of port columns that must have a description
MESH_POLICY_DOC_THRESHOLD = float(os.environ.get("MESH_POLICY_DOC_THRESHOLD", "0.8"))
# seconds a computed product scorecard stays cached (0: computed on every request); a
# save of a product, port, SLO, class... starts a new version at once (governance)
MESH_SCORECARD_CACHE_SECONDS = int(os.environ.get("MESH_SCORECARD_CACHE_SECONDS", "120"))
# region assumed for phone numbers without a leading + when classifying sampled values
MESH_CLASSIFY_PHONE_REGION = os.environ.get("MESH_CLASSIFY_PHONE_REGION", "US")
# detect classes (from column names; values where a source opted in) after each harvest
MESH_CLASSIFY_ON_HARVEST = os.environ.get("MESH_CLASSIFY_ON_HARVEST", "true").lower() == "true"
# with Celery workers, classify after the commit in a task (a push request does not wait)
MESH_CLASSIFY_IN_BACKGROUND = (
    os.environ.get("MESH_CLASSIFY_IN_BACKGROUND", "true").lower() == "true"
)
# Usage metrics (issue 14): the window (days, today included) popularity is computed over
MESH_USAGE_POPULARITY_DAYS = int(os.environ.get("MESH_USAGE_POPULARITY_DAYS", "30"))
# Daily usage rows older than this many days are rolled up into monthly rows (whole
# months only: a month is rolled once all its days are older than the window).
MESH_USAGE_RETENTION_DAYS = int(os.environ.get("MESH_USAGE_RETENTION_DAYS", "180"))
# Record who viewed an asset page (False: views are counted anonymously for everyone;
# each user may also opt out on /usage/preferences).
MESH_USAGE_RECORD_USERS = env_bool("MESH_USAGE_RECORD_USERS", True)
# Popularity score (0-100) from which an asset's badge reads "Popular".
MESH_USAGE_POPULAR_SCORE = float(os.environ.get("MESH_USAGE_POPULAR_SCORE", "80"))

# Lineage graph store (a projection of the SQL lineage edges): dotted path + options.
# MESH_GRAPH_BACKEND=bolt (or the dotted path lineage.graph.bolt.BoltGraphBackend) uses
# MESH_GRAPH_URI / MESH_GRAPH_USER / MESH_GRAPH_PASSWORD / MESH_GRAPH_DATABASE.
_GRAPH_BACKENDS = {
    "sql": "lineage.graph.sql.SQLGraphBackend",
    "bolt": "lineage.graph.bolt.BoltGraphBackend",
}
_graph_backend = os.environ.get("MESH_GRAPH_BACKEND", "sql")
LINEAGE_GRAPH = {"default": {"BACKEND": _GRAPH_BACKENDS.get(_graph_backend, _graph_backend)}}
if LINEAGE_GRAPH["default"]["BACKEND"].endswith("BoltGraphBackend"):
    LINEAGE_GRAPH["default"].update(
        {
            "URI": os.environ.get("MESH_GRAPH_URI", "bolt://127.0.0.1:7687"),
            "USER": os.environ.get("MESH_GRAPH_USER", ""),
            "PASSWORD": os.environ.get("MESH_GRAPH_PASSWORD", ""),
            "DATABASE": os.environ.get("MESH_GRAPH_DATABASE") or None,
        }
    )

# Steps of `manage.py quickstart`: dotted paths to callables
# ``step(samples_dir: Path, out) -> list[dict]`` returning summary rows
# ``{source, assets, fields, lineage_edges, warnings, errors, seconds}``.
MESH_QUICKSTART_STEPS: list[str] = [
    "harvesters.samples.harvest_sample_sources",
    "harvesters.kinds.lake.samples.harvest_sample_lake",
    "products.samples.load_sample_products",
    "harvesters.kinds.openlineage.samples.import_sample_events",
    "access.samples.load_sample_access",
]

# Sample sources for the quickstart.
MESH_SAMPLES_DIR = Path(
    os.environ.get("MESH_SAMPLES_DIR", BASE_DIR.parent / "shared" / "datasets")
).resolve()

# OpenLineage intake: largest accepted event in bytes (413 above) and batch request body.
MESH_OPENLINEAGE_MAX_BYTES = int(os.environ.get("MESH_OPENLINEAGE_MAX_BYTES", 5 * 1024 * 1024))
MESH_OPENLINEAGE_MAX_BATCH_BYTES = int(
    os.environ.get("MESH_OPENLINEAGE_MAX_BATCH_BYTES", 50 * 1024 * 1024)
)
# Unchanged jobs/datasets are rewritten (last_seen refreshed) at most this often (seconds).
MESH_OPENLINEAGE_REFRESH_SECONDS = int(os.environ.get("MESH_OPENLINEAGE_REFRESH_SECONDS", "300"))
# POST /api/v1/lineage: queue (validate, append to the intake table, store in batches),
# sync (store in the request) or auto (queue when CELERY_BROKER_URL is set)
MESH_OPENLINEAGE_INTAKE = os.environ.get("MESH_OPENLINEAGE_INTAKE", "auto")
MESH_OPENLINEAGE_INTAKE_DELAY = float(os.environ.get("MESH_OPENLINEAGE_INTAKE_DELAY", "0.5"))
MESH_OPENLINEAGE_INTAKE_MAX_ATTEMPTS = int(
    os.environ.get("MESH_OPENLINEAGE_INTAKE_MAX_ATTEMPTS", "5")
)
# seconds a process reuses a verified API token (0: look it up on every request)
MESH_TOKEN_CACHE_SECONDS = float(os.environ.get("MESH_TOKEN_CACHE_SECONDS", "5"))
MESH_PUSH_MAX_BYTES = int(os.environ.get("MESH_PUSH_MAX_BYTES", 50 * 1024 * 1024))

# Processes that parse dbt compiled SQL for column lineage during a harvest (0 or 1:
# in the harvest process; small projects and Celery prefork workers always parse in-process).
MESH_SQL_PARSE_WORKERS = int(os.environ.get("MESH_SQL_PARSE_WORKERS", min(2, os.cpu_count() or 1)))
# Field lineage parsed from SQL (dbt models, views, OpenLineage sql facets) also stores the
# INDIRECT edges (filters, joins, grouping, sorting, conditions), not only the DIRECT ones.
MESH_SQL_INDIRECT_LINEAGE = env_bool("MESH_SQL_INDIRECT_LINEAGE", False)

# Harvest fail-safe: never remove more than this share of a source's assets in one run.
MESH_STALE_REMOVAL_MAX_SHARE = float(os.environ.get("MESH_STALE_REMOVAL_MAX_SHARE", "0.2"))
# a harvest of more assets than this commits in batches of about this many (at the
# harvester's checkpoints) and can be resumed after a crash; smaller ones are one transaction
MESH_HARVEST_COMMIT_EVERY = int(os.environ.get("MESH_HARVEST_COMMIT_EVERY", "5000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# SLO checks: a Celery beat entry runs every enabled SLO's SQL check every
# MESH_SLO_CHECK_SECONDS seconds (default 900) against the port's source.
CELERY_BEAT_SCHEDULE = {
    "products-slo-checks": {
        "task": "products.tasks.run_slo_checks",
        "schedule": float(os.environ.get("MESH_SLO_CHECK_SECONDS", "900")),
    },
    # access: expire grants, revoke ended grants in the warehouse, retry failed
    # provisioning, remind consumers before the end date
    "access-sweep": {
        "task": "access.tasks.sweep",
        "schedule": float(os.environ.get("MESH_ACCESS_SWEEP_SECONDS", "300")),
    },
    # the popularity window moves every day: rescore once a day
    "usage-popularity": {"task": "usage.tasks.compute_popularity", "schedule": 86400.0},
    # queued OpenLineage events (MESH_OPENLINEAGE_INTAKE=queue): a safety net behind the
    # drain each web process queues after accepting events
    "harvesters-drain-openlineage-intake": {
        "task": "harvesters.drain_openlineage_intake",
        "schedule": 30.0,
    },
    # daily usage older than MESH_USAGE_RETENTION_DAYS becomes monthly rows
    "usage-rollup": {"task": "usage.tasks.rollup_usage", "schedule": 86400.0},
    # notifications: resend due deliveries; the daily e-mail digest
    "notifications-retry": {
        "task": "notifications.tasks.retry_due",
        "schedule": float(os.environ.get("MESH_NOTIFY_RETRY_SECONDS", "60")),
    },
    "notifications-digest": {"task": "notifications.tasks.send_digests", "schedule": 86400.0},
    # governance: one scorecard snapshot a day (the trend on scorecard pages)
    "governance-scores": {"task": "governance.tasks.snapshot_scores", "schedule": 86400.0},
}

# ---------------------------------------------------------------------------------------
# Notifications (issue 16): e-mail through Django's backend, SMTP settings from the
# environment (README "Notifications"); webhooks; delivery retries.
# ---------------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mesh-catalog@localhost")
# SMTP when EMAIL_HOST is set, else one file per e-mail under MESH_VAR_DIR/mail
# (embedded mode: nothing leaves the machine, nothing clutters the console)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# Links in e-mails and webhook payloads start with this URL.
MESH_BASE_URL = os.environ.get("MESH_BASE_URL", "http://127.0.0.1:8000")
# Recipients written per batch by the fan-out (one e-mail task per batch).
MESH_NOTIFY_BATCH = int(os.environ.get("MESH_NOTIFY_BATCH", "1000"))
# Attempts per delivery before it is failed, and the first backoff (doubles each time).
MESH_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("MESH_NOTIFY_MAX_ATTEMPTS", "5"))
MESH_NOTIFY_BACKOFF_SECONDS = float(os.environ.get("MESH_NOTIFY_BACKOFF_SECONDS", "30"))
MESH_WEBHOOK_TIMEOUT = float(os.environ.get("MESH_WEBHOOK_TIMEOUT", "10"))
# Webhook URLs may not reach loopback, private, link-local or multicast addresses unless
# listed here (comma-separated host names, addresses or CIDR blocks; notifications.urlguard).
MESH_WEBHOOK_ALLOWED_HOSTS = env_list("MESH_WEBHOOK_ALLOWED_HOSTS", "")

# Access requests: the longest grant (days), the reminder lead time (days), the default
# provisioner of ports without a policy, and the provisioners by name (dotted path +
# options, like CACHES; loaded with catalog.backends.load_backend).
MESH_ACCESS_MAX_DAYS = int(os.environ.get("MESH_ACCESS_MAX_DAYS", "365"))
MESH_ACCESS_REMIND_DAYS = int(os.environ.get("MESH_ACCESS_REMIND_DAYS", "7"))
MESH_ACCESS_DEFAULT_PROVISIONER = os.environ.get("MESH_ACCESS_DEFAULT_PROVISIONER", "manual")
MESH_ACCESS_PROVISIONERS = {
    "manual": {"BACKEND": "access.provisioners.manual.ManualProvisioner"},
    "postgres": {
        "BACKEND": "access.provisioners.postgres.PostgresProvisioner",
        "URL": os.environ.get("MESH_ACCESS_PG_URL", ""),
        "CONNECT_TIMEOUT": int(os.environ.get("MESH_ACCESS_PG_CONNECT_TIMEOUT", "5")),
    },
    "webhook": {
        "BACKEND": "access.provisioners.webhook.WebhookProvisioner",
        "URL": os.environ.get("MESH_ACCESS_WEBHOOK_URL", ""),
        "SECRET": os.environ.get("MESH_ACCESS_WEBHOOK_SECRET", ""),
        "TIMEOUT": float(os.environ.get("MESH_ACCESS_WEBHOOK_TIMEOUT", "10")),
        "RETRIES": int(os.environ.get("MESH_ACCESS_WEBHOOK_RETRIES", "3")),
    },
}

# ---------------------------------------------------------------------------------------
# Identity (issue 10): read policy, team roles, API tokens, single sign-on (OpenID Connect).
# Every variable is documented in README.md ("Configuration", "Single sign-on").
# ---------------------------------------------------------------------------------------
# The token API's `kind` enum, named apart from the asset and source kinds.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["TokenKindEnum"] = "identity.models.TOKEN_KINDS"
# Several models have a "state" field with their own choices: one enum name each.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "AccessRequestStateEnum": "access.models.State",
        "DeliveryStateEnum": "notifications.models.DeliveryState",
        "IncidentStateEnum": "notifications.models.IncidentState",
        "JobRunStateEnum": "lineage.models.JobRun.State",
    }
)
# Anonymous visitors may read catalog metadata (pages and API) when true.
MESH_PUBLIC_READ = env_bool("MESH_PUBLIC_READ", True)
# Team roles (products.TeamMembership.role) that may edit the team's products and assets.
MESH_TEAM_EDIT_ROLES = env_list("MESH_TEAM_EDIT_ROLES", "owner,steward")
# API tokens: default and longest lifetime in days.
MESH_TOKEN_DEFAULT_DAYS = int(os.environ.get("MESH_TOKEN_DEFAULT_DAYS", "90"))
MESH_TOKEN_MAX_DAYS = int(os.environ.get("MESH_TOKEN_MAX_DAYS", "365"))
# Password sign-in (the quickstart's); switch off when everyone signs on through OIDC.
MESH_PASSWORD_LOGIN = env_bool("MESH_PASSWORD_LOGIN", True)
# OpenID Connect (mozilla-django-oidc): on when MESH_OIDC_ISSUER and the client id are set.
# Endpoints are discovered from <issuer>/.well-known/openid-configuration at start-up
# unless given one by one.
MESH_OIDC_ISSUER = os.environ.get("MESH_OIDC_ISSUER", "").rstrip("/")
OIDC_RP_CLIENT_ID = os.environ.get("MESH_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("MESH_OIDC_CLIENT_SECRET", "")
MESH_OIDC_ENABLED = bool(MESH_OIDC_ISSUER and OIDC_RP_CLIENT_ID)
MESH_OIDC_LABEL = os.environ.get("MESH_OIDC_LABEL", "single sign-on")
OIDC_RP_SCOPES = os.environ.get("MESH_OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = os.environ.get("MESH_OIDC_SIGN_ALGO", "RS256")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("MESH_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("MESH_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("MESH_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("MESH_OIDC_JWKS_ENDPOINT", "")
OIDC_OP_LOGOUT_ENDPOINT = os.environ.get("MESH_OIDC_END_SESSION_ENDPOINT", "")
OIDC_STORE_ID_TOKEN = True  # for RP-initiated logout (id_token_hint)
OIDC_CREATE_USER = True
OIDC_USE_PKCE = True
# Claims: the username, and the list of groups mapped to global roles and team memberships.
MESH_OIDC_USERNAME_CLAIM = os.environ.get("MESH_OIDC_USERNAME_CLAIM", "preferred_username")
MESH_OIDC_GROUPS_CLAIM = os.environ.get("MESH_OIDC_GROUPS_CLAIM", "groups")
# "role=group,role=group": e.g. admin=catalog-admins,auditor=catalog-auditors
MESH_OIDC_ROLE_GROUPS = os.environ.get("MESH_OIDC_ROLE_GROUPS", "")
# Groups "<prefix><team slug>[:<team role>]" make the user a member of that (existing) team.
MESH_OIDC_TEAM_PREFIX = os.environ.get("MESH_OIDC_TEAM_PREFIX", "team:")
# When true, team memberships the groups claim no longer grants are removed at sign-in.
MESH_OIDC_TEAMS_AUTHORITATIVE = env_bool("MESH_OIDC_TEAMS_AUTHORITATIVE", False)
# Source secrets at rest (harvesters/vault.py): comma-separated Fernet keys, first encrypts.
MESH_SECRETS_KEYS = env_list("MESH_SECRETS_KEYS", "")
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if MESH_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.insert(0, "identity.oidc.CatalogOIDCBackend")
# ---------------------------------------------------------------------------------------
# Hardening: login throttling, CSP, HTTPS settings, secret-key check, source
# confinement, run liveness (config/security.py documents each variable).
from config.security import apply as _apply_security  # noqa: E402

_apply_security(globals())
# The lean path of POST /api/v1/lineage (queued OpenLineage intake) answers before the
# session, CSRF, CSP and message middleware; it declines everything else.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "harvesters.kinds.openlineage.fastpath.OpenLineageFastPath",
)
