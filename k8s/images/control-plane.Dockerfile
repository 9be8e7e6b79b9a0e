# Control plane image: the worker, the router and the admin API (same build, different entry point).
# Build from the repo root:  docker build -f k8s/images/control-plane.Dockerfile -t clawfleet/control-plane:0.1.0 .
# It runs the build (dist/, the prebuilt workflow bundle included) on plain Node with production
# dependencies only: no tsx, no TypeScript, no dev dependencies (test/build/images.test.ts checks).
ARG NODE_VERSION=24.21.0

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
# Temporal's core bridge ships prebuilt binaries; no install scripts are needed.
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts && rm -rf /root/.npm

FROM node:${NODE_VERSION}-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
RUN groupadd --gid 10001 clawfleet && useradd --uid 10001 --gid 10001 --no-create-home clawfleet
USER 10001:10001
# Deployment args pick the entry point (k8s/deploy/base): dist/worker/main.js, dist/router/server.js
# dist/admin/server.js or dist/gateway/server.js.
ENTRYPOINT ["/usr/local/bin/node"]
CMD ["dist/worker/main.js"]
