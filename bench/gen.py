#!/usr/bin/env python3
"""Generates the synthetic inputs of the whole-process benchmarks.

  gen.py OUT_DIR

writes OUT_DIR/services-{10,100,1000}/compose.yml (anchors, merge keys, interpolation, a mix of
service kinds and checks, some of them wrong) and OUT_DIR/monorepo/ (2,000 files: 1,000 compose
projects of 3 services, each with a Dockerfile that has a HEALTHCHECK).
"""
import os
import sys

HEADER = """x-common: &common
  restart: unless-stopped
  environment: &env
    TZ: ${TZ:-UTC}
    LOG_LEVEL: ${LOG_LEVEL:-info}
x-check: &check
  interval: ${HC_INTERVAL:-30s}
  timeout: 5s
  retries: 3

services:
"""

KINDS = [
    # web server, good check
    """  web{i}:
    <<: *common
    image: nginx:1.27-alpine
    ports: ["{port}:80"]
    healthcheck:
      <<: *check
      test: ["CMD", "wget", "-q", "--spider", "http://localhost:80/"]
""",
    # api with curl without -f (HL202)
    """  api{i}:
    <<: *common
    image: python:3.12-slim
    command: uvicorn app:app --host 0.0.0.0 --port 8000
    environment:
      <<: *env
      DATABASE_URL: postgres://db{i}:5432/app
    expose: ["8000"]
    healthcheck:
      <<: *check
      test: curl http://localhost:8000/health
""",
    # websocket client with an HTTP check (HL101)
    """  bot{i}:
    <<: *common
    image: node:20-slim
    command: node bot.js
    environment:
      GATEWAY_URL: ws://gateway{i}:18789
      TOKEN: ${{BOT_TOKEN_{i}:-unset}}
    healthcheck:
      test: ["CMD-SHELL", "curl -f http://localhost:3000/health"]
""",
    # database with native check
    """  db{i}:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: $${{POSTGRES_PASSWORD:-x}}
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 10s
      start_period: 30s
""",
    # worker depending on db healthy
    """  worker{i}:
    <<: *common
    image: python:3.12-slim
    command: celery -A app worker
    depends_on:
      db{prev}:
        condition: service_healthy
""",
]


def compose(n):
    parts = [HEADER]
    for i in range(n):
        parts.append(KINDS[i % len(KINDS)].format(i=i, prev=i - 1, port=10000 + i))
    return "".join(parts)


DOCKERFILE = """FROM node:20-slim AS build
WORKDIR /app
COPY package.json .
RUN npm ci
FROM node:20-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \\
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost:3000/health || exit 1
CMD ["node", "server.js"]
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    out = sys.argv[1]
    for n in (10, 100, 1000):
        write(os.path.join(out, f"services-{n}", "compose.yml"), compose(n))
    for p in range(1000):
        d = os.path.join(out, "monorepo", f"app{p:04}")
        write(os.path.join(d, "Dockerfile"), DOCKERFILE)
        write(os.path.join(d, "compose.yml"), compose(3).replace("image: nginx:1.27-alpine", "build: ."))


if __name__ == "__main__":
    main()
