# syntax=docker/dockerfile:1
# streamgate all-in-one: the four services in one process, no NATS or Redis.
# Build from the repository root:
#   docker build -f deploy/docker/all-in-one.Dockerfile -t streamgate/all-in-one .
ARG NODE_IMAGE=node:20-bookworm-slim

# --- builder: the whole workspace, dev dependencies included, compiled into dist/ ---
FROM ${NODE_IMAGE} AS builder
# A C toolchain for libs/native-udp (batched UDP sends); without it the build falls back to node:dgram.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund --loglevel=error \
 && npm run build \
 && mkdir -p /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find libs services -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \;

# --- runtime: production dependencies and compiled JavaScript only ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# ffmpeg decodes the latest keyframe into a JPEG snapshot (GET /api/streams/{name}/frame).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder /manifests/ ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && npm cache clean --force
COPY --from=builder /src/dist/libs ./dist/libs
COPY --from=builder /src/dist/services ./dist/services
# The embedded store persists the stream registry under DATA_DIR.
ENV DATA_DIR=/data
RUN mkdir -p /data && chown 1000:1000 /data
VOLUME ["/data"]
# The image's own "node" user (uid 1000), numeric so Kubernetes can check runAsNonRoot.
USER 1000:1000
# RTMP, RTSP, the UDP RTP/RTCP pair, the REST API and /metrics.
EXPOSE 1935/tcp 8554/tcp 8000/udp 8001/udp 5001/tcp 9464/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5001) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/services/all-in-one.js"]
