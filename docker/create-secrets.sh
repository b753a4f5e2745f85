#!/usr/bin/env bash
# Creates the stack's Docker secrets once per swarm: a random auth secret and database passwords, and
# the xAI API key from $XAI_API_KEY (empty: the chat bot answers with rules and its fallback only).
set -euo pipefail
create() {
  if docker secret inspect "$1" >/dev/null 2>&1; then
    echo "secret $1 exists, kept"
  else
    # A trailing newline (stripped when read) keeps an empty xAI key a valid, non-empty secret.
    printf '%s\n' "$2" | docker secret create "$1" - >/dev/null && echo "secret $1 created"
  fi
}
random() { head -c 32 /dev/urandom | base64 | tr -d '/+=' ; }
create auth_secret "$(random)"
for db in auth user device monitoring chat; do create "${db}_db_password" "$(random)"; done
create xai_api_key "${XAI_API_KEY:-}"
