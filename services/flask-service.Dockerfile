# The image of every Flask service of the lab (build context: services/). SERVICE_DIR picks the
# service's folder, APP_FACTORY its WSGI app, PORT where it listens.
# FROM the upstream Python image name; on machines without a registry, scripts/build-images.sh
# provides a stand-in under that name. Nothing relies on /usr/local paths: a venv holds the app.
ARG PYTHON_IMAGE=python:3.13-slim-trixie
FROM ${PYTHON_IMAGE}

ARG SERVICE_DIR
ARG APP_FACTORY
ARG PORT
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    APP_FACTORY=${APP_FACTORY} \
    PORT=${PORT}

WORKDIR /app
COPY common/requirements.txt /tmp/build/common-requirements.txt
COPY ${SERVICE_DIR}/requirements.txt /tmp/build/service-requirements.txt
RUN python3 -m venv /opt/venv \
 && pip install --no-cache-dir --disable-pip-version-check \
      -r /tmp/build/common-requirements.txt -r /tmp/build/service-requirements.txt
COPY common /tmp/build/common
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps /tmp/build/common && rm -rf /tmp/build

COPY ${SERVICE_DIR}/ ./
# A home directory: gunicorn keeps its control socket there.
RUN useradd --system --create-home --uid 10001 app
USER app
EXPOSE ${PORT}
# gunicorn finds the app in APP_FACTORY (wsgi_app in obslab_common.gunicorn_conf).
CMD ["opentelemetry-instrument", "gunicorn", "--config", "python:obslab_common.gunicorn_conf"]
