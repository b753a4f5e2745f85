# Both EMS images, one stage graph (shared dependency install and migrator):
#   docker build --target web     -t ems/web:$TAG .       # Next.js standalone server
#   docker build --target workers -t ems/workers:$TAG .   # balancer | monitoring | chat | simulator
# Builds with and without BuildKit (no `# syntax` line: BuildKit would pull a frontend image).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# PEM text of extra certificate authorities npm must trust (a proxy's), e.g.
# --build-arg EXTRA_CA_CERTS="$(cat "$NODE_EXTRA_CA_CERTS")"; empty where none is needed.
ARG EXTRA_CA_CERTS=""
# The manifests alone first, so `npm ci` stays cached across source changes. Every workspace is listed
# (packages/stack/src/stack.test.ts checks): npm ci needs them all to match the lockfile.
COPY package.json package-lock.json .npmrc ./
COPY apps/web/package.json apps/web/
COPY apps/workers/package.json apps/workers/
COPY packages/auth/package.json packages/auth/
COPY packages/config/package.json packages/config/
COPY packages/contracts/package.json packages/contracts/
COPY packages/db/package.json packages/db/
COPY packages/hashing/package.json packages/hashing/
COPY packages/messaging/package.json packages/messaging/
COPY packages/runtime/package.json packages/runtime/
COPY packages/stack/package.json packages/stack/
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" >/tmp/extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --no-audit --no-fund \
 && rm -f /tmp/extra-ca.pem

FROM deps AS source
COPY . .
RUN npm run generate -w @ems/db

# The start-up migrator: one bundled file, the SQL migrations and dbmate's binary (from its npm package).
FROM source AS migrator
RUN npx esbuild packages/db/scripts/migrate.ts --bundle --platform=node --format=esm --target=node24 --external:dbmate \
      --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
      --outfile=/out/migrate/scripts/migrate.mjs \
 && cp -r packages/db/databases /out/migrate/databases \
 && mkdir -p /out/migrate/node_modules && cp -r node_modules/dbmate node_modules/@dbmate /out/migrate/node_modules/ \
 && find /out/migrate/databases -name '*.prisma' -delete

FROM source AS web-build
ENV NEXT_TELEMETRY_DISABLED=1 NEXT_OUTPUT=standalone
# Empty: the browser reaches the chat server on the page's own origin, at /socket.io, through Traefik.
ARG NEXT_PUBLIC_CHAT_URL=""
RUN mkdir -p apps/web/public && npm run build -w @ems/web

# Each worker process bundled into one file: the image carries no TypeScript, tsx, Prisma CLI or
# node_modules (the Prisma 7 client needs no engine; its query compiler is bundled).
FROM source AS workers-build
RUN npx esbuild apps/workers/src/balancer.ts apps/workers/src/monitoring.ts apps/workers/src/chat.ts apps/workers/src/simulator.ts apps/workers/src/dlq.ts \
      --bundle --platform=node --format=esm --target=node24 --outdir=/out/dist --out-extension:.js=.mjs \
      --external:pg-native --external:bufferutil --external:utf-8-validate \
      --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"

FROM ${NODE_IMAGE} AS web
# NEXT_MANUAL_SIG_HANDLE: Next.js's own SIGTERM handler would exit at once; the app drains first
# (apps/web/src/server/shutdown.ts).
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 HOSTNAME=0.0.0.0 NEXT_MANUAL_SIG_HANDLE=true
WORKDIR /app
COPY --from=web-build /app/apps/web/.next/standalone ./
COPY --from=web-build /app/apps/web/.next/static ./apps/web/.next/static
COPY --from=web-build /app/apps/web/public ./apps/web/public
COPY --from=migrator /out/migrate ./migrate
USER node
EXPOSE 3000
# The web app owns the auth, user and device databases: migrate them (advisory-locked, so replicas
# starting together are safe; waits for a database that is not up yet), then serve.
CMD ["sh", "-c", "node migrate/scripts/migrate.mjs auth user device && exec node apps/web/server.js"]

FROM ${NODE_IMAGE} AS workers
ENV NODE_ENV=production
WORKDIR /app
COPY --from=workers-build /out/dist ./dist
COPY --from=migrator /out/migrate ./migrate
COPY docker/workers-entrypoint.sh /usr/local/bin/ems-worker
USER node
ENTRYPOINT ["ems-worker"]
CMD ["balancer"]
