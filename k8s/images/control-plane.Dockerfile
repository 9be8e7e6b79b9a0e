# Control plane image: the worker and the router (same code, different entry point).
# Build from the repo root:  docker build -f k8s/images/control-plane.Dockerfile -t clawfleet/control-plane:0.1.0 .
ARG NODE_VERSION=24.21.0
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Temporal's core bridge ships prebuilt binaries; no install scripts are needed.
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts && npm install --omit=dev --no-audit --no-fund --ignore-scripts --no-save tsx@^4.23 \
 && rm -rf /root/.npm

FROM node:${NODE_VERSION}-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY activities ./activities
COPY client ./client
COPY common ./common
COPY endpoints ./endpoints
COPY k8s ./k8s
COPY pod ./pod
COPY registry ./registry
COPY router ./router
COPY snapshots ./snapshots
COPY worker ./worker
COPY workflows ./workflows
RUN groupadd --gid 10001 clawfleet && useradd --uid 10001 --gid 10001 --no-create-home clawfleet
USER 10001:10001
# Deployment args pick the entry point: worker/main.ts or router/server.ts.
ENTRYPOINT ["/usr/local/bin/node", "--import", "tsx"]
CMD ["worker/main.ts"]
