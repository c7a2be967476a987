# Tanggap: slim image, non-root, migrations applied at start (`tanggap serve` runs them first).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TANGGAP_ENV=production \
    TANGGAP_DATABASE_URL=sqlite+aiosqlite:////data/tanggap.db
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --home-dir /data --create-home tanggap
USER tanggap
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
# TANGGAP_SECRET_KEY must be given at run time (the service refuses to start without it in production);
# for PostgreSQL set TANGGAP_DATABASE_URL=postgresql+asyncpg://user:pass@host/db and add --workers.
CMD ["tanggap", "serve", "--host", "0.0.0.0", "--port", "8000"]
