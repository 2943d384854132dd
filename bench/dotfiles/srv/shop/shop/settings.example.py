# Copy to settings_local.py and fill in.
SECRET_KEY = "change-me-to-a-long-random-string"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "PASSWORD": "<db password>",
    }
}
EMAIL_HOST_PASSWORD = "changeme"
