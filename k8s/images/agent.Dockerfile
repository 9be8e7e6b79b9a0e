# Tenant agent image: Node 24 + pinned OpenClaw + the clawfleet pod supervisor, built.
# Build from the repo root:  docker build -f k8s/images/agent.Dockerfile -t clawfleet/agent:0.1.0 .
# Layout must match k8s/options.ts AGENT_LAYOUT (node, OpenClaw entry, supervisor main, uid).
# The supervisor runs the build (dist/) on plain Node with production dependencies only: no tsx,
# no TypeScript, no dev dependencies (test/build/images.test.ts checks).
ARG NODE_VERSION=24.21.0
ARG OPENCLAW_VERSION=2026.9.6

FROM node:${NODE_VERSION}-bookworm-slim AS openclaw
ARG OPENCLAW_VERSION
WORKDIR /opt/openclaw
# OpenClaw's preinstall refuses Node < 24.16; this stage runs Node 24. Pinned, no lockfile drift.
RUN npm install --omit=dev --no-audit --no-fund "openclaw@${OPENCLAW_VERSION}" \
 && rm -rf /root/.npm

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts off: the `node` devDependency's would fetch a second Node; the image's Node runs the build.
RUN npm install --no-audit --no-fund --ignore-scripts
COPY . .
RUN /usr/local/bin/node scripts/build.mjs

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts && rm -rf /root/.npm

FROM node:${NODE_VERSION}-bookworm-slim
# node's own binary lives at /usr/local/bin/node in the official image.
COPY --from=openclaw /opt/openclaw /opt/openclaw
COPY --from=deps /app/node_modules /app/node_modules
COPY --from=build /src/dist /app/dist
COPY package.json /app/
RUN groupadd --gid 10001 agent && useradd --uid 10001 --gid 10001 --no-create-home agent
USER 10001:10001
WORKDIR /app
# The pod spec sets the same command (k8s/pod-manifest.ts: node <SUPERVISOR_V8_FLAGS> /app/dist/supervisor/main.js <spec>);
# the root filesystem is read-only: state lives in /var/lib/clawfleet and /tmp (emptyDirs).
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=1", "/app/dist/supervisor/main.js"]
