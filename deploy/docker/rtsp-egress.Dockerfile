# syntax=docker/dockerfile:1
# streamgate rtsp-egress: RTSP server fanning each stream out to its readers.
# Build from the repository root:
#   docker build -f deploy/docker/rtsp-egress.Dockerfile -t streamgate/rtsp-egress .
ARG NODE_IMAGE=node:20-bookworm-slim

# --- builder: the whole workspace, dev dependencies included, compiled into dist/ ---
FROM ${NODE_IMAGE} AS builder
# A C toolchain for libs/native-udp (batched UDP sends); without it the build falls back to node:dgram.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund --loglevel=error \
 && npm run build:prod \
 && mkdir -p /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find libs services -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \;

# --- production dependencies only (no dev dependencies, no npm cache, no type declarations) ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=builder /manifests/ ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && npm cache clean --force \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \) -delete

# --- the Node.js runtime alone, taken from NODE_IMAGE: node, the C libraries it links, CA
# certificates and a non-root user; no shell, no package manager, no npm (half the size) ---
FROM ${NODE_IMAGE} AS node-runtime
RUN mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/app \
 && cp "$(command -v node)" /rootfs/usr/local/bin/node \
 && for lib in $(ldd "$(command -v node)" | grep -o '/[^ ]*'); do cp --parents -L "$lib" /rootfs/; done \
 && if [ -f /etc/ssl/certs/ca-certificates.crt ]; then cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; fi \
 && echo 'node:x:1000:1000:node:/app:/usr/sbin/nologin' > /rootfs/etc/passwd \
 && echo 'node:x:1000:' > /rootfs/etc/group \
 && chmod 1777 /rootfs/tmp \
 && mkdir -p /rootfs/data && chown 1000:1000 /rootfs/data

# --- runtime: node, production dependencies and compiled JavaScript only ---
FROM scratch AS runtime
COPY --from=node-runtime /rootfs/ /
# DATA_DIR: the embedded store's file when no REDIS_URL is set (uid 1000 owns /data).
ENV NODE_ENV=production PATH=/usr/local/bin DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/ ./
COPY --from=builder /src/dist/libs ./dist/libs
COPY --from=builder /src/dist/services ./dist/services
# The image's own "node" user (uid 1000), numeric so Kubernetes can check runAsNonRoot.
USER 1000:1000
# RTSP for readers; the shared RTP/RTCP port pair for UDP readers; /metrics and /healthz.
EXPOSE 8554/tcp 8000/udp 8001/udp 9464/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=2", "--heap-growing-percent=60", "dist/services/rtsp-egress/src/main.js"]
