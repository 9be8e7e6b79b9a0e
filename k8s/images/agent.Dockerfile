# Tenant agent image: Node 24 + pinned OpenClaw + the clawfleet pod supervisor.
# Build from the repo root:  docker build -f k8s/images/agent.Dockerfile -t clawfleet/agent:0.1.0 .
# Layout must match k8s/options.ts AGENT_LAYOUT (node, OpenClaw entry, supervisor main, uid).
ARG NODE_VERSION=24.21.0
ARG OPENCLAW_VERSION=2026.9.6

FROM node:${NODE_VERSION}-bookworm-slim AS openclaw
ARG OPENCLAW_VERSION
WORKDIR /opt/openclaw
# OpenClaw's preinstall refuses Node < 24.16; this stage runs Node 24. Pinned, no lockfile drift.
RUN npm install --omit=dev --no-audit --no-fund "openclaw@${OPENCLAW_VERSION}" \
 && rm -rf /root/.npm

FROM node:${NODE_VERSION}-bookworm-slim AS app
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts && npm install --omit=dev --no-audit --no-fund --ignore-scripts --no-save tsx@^4.23 \
 && rm -rf /root/.npm
COPY common ./common
COPY pod ./pod
COPY snapshots ./snapshots
COPY activities ./activities
COPY workflows ./workflows
COPY registry ./registry
COPY tsconfig.json ./

FROM node:${NODE_VERSION}-bookworm-slim
# node's own binary lives at /usr/local/bin/node in the official image.
COPY --from=openclaw /opt/openclaw /opt/openclaw
COPY --from=app /app /app
RUN groupadd --gid 10001 agent && useradd --uid 10001 --gid 10001 --no-create-home agent
USER 10001:10001
WORKDIR /app
# The pod spec sets the command (node --import tsx /app/supervisor/main.ts <spec>); the root
# filesystem is read-only: state lives in /var/lib/clawfleet and /tmp (emptyDirs).
ENTRYPOINT ["/usr/local/bin/node", "--import", "tsx", "/app/supervisor/main.ts"]
