# One image for every Parley process; docker-compose.yml picks the entry point per service
# (`command: node dist/apps/<service>/src/main.js`, or dist/tools/kafka/create-topics.js).

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall applies these fixes to dependencies (patch-package; docs/ARCHITECTURE.md).
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY tools ./tools
RUN npm run build && npm prune --omit=dev

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The image blob store's mount point (docker-compose's `blobs` volume takes this owner).
RUN mkdir -p /var/lib/parley/blobs && chown node:node /var/lib/parley/blobs
USER node
CMD ["node", "dist/apps/gateway/src/main.js"]
