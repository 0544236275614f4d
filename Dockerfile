# Build stage: compile TypeScript.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The GitHub twin (a workspace package) only for the build's typecheck of the demo command.
COPY packages ./packages
RUN npm ci
COPY tsconfig.json tsconfig.build.json app.yml ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies, the compiled app, git, bubblewrap (the agents' sandbox), a non-root user.
# The sandbox needs user namespaces: where the container runtime forbids them, the worker refuses to
# start and says so (run with a seccomp profile that allows them, or choose SWITCHYARD_SANDBOX=none).
FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates bubblewrap \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    SWITCHYARD_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY app.yml ./
# Agent CLIs, from the npm registry, chosen at build time (versions pinned by whoever builds):
#   docker build --build-arg AGENTS="@anthropic-ai/claude-code@2.1.330 @openai/codex@0.169.0" .
# The presets find them on PATH as claude, codex, gemini and opencode. `switchyard doctor` checks them.
ARG AGENTS=""
RUN if [ -n "$AGENTS" ]; then npm install -g --no-audit --no-fund $AGENTS && npm cache clean --force; fi
RUN useradd --create-home --uid 10001 switchyard && mkdir -p /data && chown switchyard:switchyard /data
USER switchyard
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# web and worker in one process; pass `web` or `worker` to split them.
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["all"]
