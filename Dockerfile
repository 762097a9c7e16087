# Dropfront Live: one container. Runs on the embedded database by default (data in /app/data, mount a
# volume there), or on PostgreSQL / Aurora DSQL when DATABASE_URL / DSQL_ENDPOINT are set.
# The server runs on Bun, as `npm start` does (BENCHMARKS.md, "Node and Bun", says why): the `bun` npm
# package's binary, a production dependency, so the Node base image needs nothing else and nothing is
# downloaded at run time. It runs the same JavaScript bundle Node could (`node dist/app/server.js`).
# scripts/container-recipe.sh runs these same steps without a container engine (CI has none): keep the
# two in step; it reads ENV, CMD and HEALTHCHECK from this file.

# Build stage: all dependencies, then one JavaScript bundle of our code in dist/app/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
COPY views ./views
RUN npm run build

# Runtime stage: production dependencies only (Bun among them: its postinstall links the platform binary,
# allowed in package.json's allowScripts), compiled JavaScript, no TypeScript loader, not root.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/data SEED_DEMO=never
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY sql ./sql
COPY static ./static
COPY scripts/healthcheck.mjs ./scripts/
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
VOLUME ["/app/data"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=4s --start-period=60s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
# Bun has no heap cap: it accepts --max-old-space-size and ignores it (oven-sh/bun#34917); its peak RSS in
# the bench is below Node's capped one. Bound the container with the engine's memory limit instead
# (e.g. `docker run --memory 256m`). Bun does not read the bundle's source maps; the bundle is not
# minified, so a stack trace's file:line is still readable.
CMD ["./node_modules/.bin/bun", "dist/app/server.js"]
