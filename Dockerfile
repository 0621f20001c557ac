# s3gate: build the TypeScript, then run it on a slim Node 20 image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# patches/ must be present before npm ci: its postinstall applies patches/undici+*.patch.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json --outDir dist --rootDir . \
  && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json proxy.example.toml ./
# The store's data directory ([store] path = "/app/data"): mount a volume here.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 700 /app/data
VOLUME ["/app/data"]
USER node
# 8090: S3; 8091: the admin API (its own listener, docs/decisions/0008).
EXPOSE 8090 8091
# Mount your proxy.toml at /app/proxy.toml (listen on 0.0.0.0:8090 inside the container).
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve", "--config", "/app/proxy.toml"]
