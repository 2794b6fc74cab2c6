# syntax=docker/dockerfile:1
# gate402 image: Envoy ext_authz (gRPC :9191) + HTTP API (:4020). Build: docker build -t gate402 .

# Node 22 LTS (maintenance support to April 2027): Node 20 reached end of life in April 2026. The code also
# runs on Node 20.19+, where the test suite runs (package.json "engines"); move both stages together.
# ---- build: all dependencies, compile TypeScript to dist/
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The devnet workspace package (packages/devnet): `npm run build` compiles it first, because the dev
# commands type against it; it is not shipped (see the runtime stage).
COPY packages/devnet/package.json ./packages/devnet/
# Install scripts are not needed to compile (tsc only); skipping them keeps the build hermetic.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY packages/devnet/tsconfig.json ./packages/devnet/
COPY packages/devnet/src ./packages/devnet/src
COPY src ./src
COPY proto ./proto
RUN npm run build

# ---- runtime: production dependencies only, no embedded Postgres (an optional dependency), non-root
FROM node:22-bookworm-slim AS runtime
# tini as PID 1: forwards SIGTERM to node (graceful drain) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    GATEWAY_DATA_DIR=/tmp/gate402 \
    HOME=/tmp \
    NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
# --omit=optional drops embedded-postgres and its binaries (production uses DATABASE_URL) and the devnet
# workspace package @gate402/devnet: `gate402 serve` never loads it, and `gate402 dev`/`demo`/`devnet` are
# not run from the image (they say the package is missing). No runtime dependency needs an install
# script, so none runs (allowScripts in package.json is for dev installs).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY proto ./proto
COPY migrations ./migrations
# Numeric UID (the image's "node" user) so Kubernetes can verify runAsNonRoot. Nothing is written outside
# /tmp, so the root filesystem can be mounted read-only.
USER 1000:1000
EXPOSE 9191 4020
# /healthz over https when GATEWAY_TLS_CERT_FILE is set (loopback liveness: the certificate is not checked).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const tls = Boolean(process.env.GATEWAY_TLS_CERT_FILE); require(tls ? 'node:https' : 'node:http').get({ host: '127.0.0.1', port: process.env.GATEWAY_HTTP_PORT || 4020, path: '/healthz', rejectUnauthorized: false, timeout: 2500 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/cli.js", "serve"]
