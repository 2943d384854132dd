"""Django settings for shop."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# SECURITY WARNING: keep the secret key used in production secret!
@@SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-%{lowerdigit:50}")

DEBUG = os.environ.get("DEBUG") == "1"
ALLOWED_HOSTS = ["shop.corp.example"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop_rw",
        "PASSWORD": os.environ["DB_PASSWORD"],
        "HOST": "db.corp.internal",
        "PORT": "5432",
    },
    "legacy": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "legacy",
        "USER": "legacy",
@@        "PASSWORD": "%{=legacy2015}",
    },
}

EMAIL_HOST = "smtp.corp.internal"
EMAIL_HOST_USER = "shop@corp.example"
@@EMAIL_HOST_PASSWORD = "%{alnum:12}%{=!7}"
LOGGING = {"version": 1, "formatters": {"v": {"format": "%(asctime)s %(levelname)s %(message)s"}}}
