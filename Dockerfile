# Incident Scribe: built from the wheel, run as an unprivileged user. See docs/deploy.md.
#   docker build -t incident-scribe .
#   docker run --env-file scribe.env -p 3000:3000 incident-scribe
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY templates ./templates
RUN python -m pip install --no-cache-dir --upgrade pip \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SCRIBE_LOG_FORMAT=json
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
 && useradd --system --uid 10001 --home-dir /var/lib/scribe --create-home scribe
USER scribe
WORKDIR /var/lib/scribe
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2).status != 200)"
CMD ["scribe", "serve", "--host", "0.0.0.0", "--port", "3000"]
