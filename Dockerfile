FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY vpp vpp
COPY fleets fleets
COPY dispatch dispatch
COPY vendors vendors
COPY console console
COPY manage.py ./
RUN pip install --no-cache-dir .
ENV DJANGO_SETTINGS_MODULE=vpp.settings VPP_VAR_DIR=/app/var
# Not the demo (no VPP_DEMO): a container refuses to start without its own SECRET_KEY and
# FIELD_ENCRYPTION_KEY, and serves with HSTS, secure cookies and the HTTPS redirect unless told otherwise.
# Static files (admin, API docs, console) are collected at build time, which needs no key (VPP_DEMO for that
# one command only); WhiteNoise serves them from the image.
RUN VPP_DEMO=1 python manage.py collectstatic --noinput -v 0
EXPOSE 8000
CMD ["gunicorn", "vpp.wsgi:application", "--bind", "0.0.0.0:8000"]
