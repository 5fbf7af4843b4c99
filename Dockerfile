FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY vpp vpp
COPY fleets fleets
COPY dispatch dispatch
COPY vendors vendors
COPY manage.py ./
RUN pip install --no-cache-dir .
ENV DJANGO_SETTINGS_MODULE=vpp.settings
# Not the demo (no VPP_DEMO): a container refuses to start without its own SECRET_KEY and
# FIELD_ENCRYPTION_KEY, and serves with HSTS, secure cookies and the HTTPS redirect unless told otherwise.
EXPOSE 8000
CMD ["gunicorn", "vpp.wsgi:application", "--bind", "0.0.0.0:8000"]
