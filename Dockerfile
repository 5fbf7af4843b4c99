FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY vpp vpp
COPY fleets fleets
COPY dispatch dispatch
COPY vendors vendors
COPY console console
COPY webhooks webhooks
COPY manage.py ./
RUN pip install --no-cache-dir .
ENV DJANGO_SETTINGS_MODULE=vpp.settings VPP_VAR_DIR=/app/var
# Not the demo (no VPP_DEMO): a container refuses to start without its own SECRET_KEY and
# FIELD_ENCRYPTION_KEY, and serves with HSTS, secure cookies and the HTTPS redirect unless told otherwise.
# Static files (admin, API docs, console) are collected at build time and served by WhiteNoise from the
# image. collectstatic uses no key, but settings refuse to load without them: throw-away ones, for that
# command only (never in the image's environment).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    FIELD_ENCRYPTION_KEY="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    python manage.py collectstatic --noinput -v 0
EXPOSE 8000
CMD ["gunicorn", "vpp.wsgi:application", "--bind", "0.0.0.0:8000"]
