#!/usr/bin/env bash
# Creates the stack's Docker secrets once per swarm (existing ones are kept):
#   auth_secret                 signs sessions and API Bearer tokens (web only)
#   socket_token_private_key    Ed25519 key signing the Socket.IO handshake tokens (web only)
#   socket_token_public_key     its public key, which verifies them (chat: it can sign nothing)
#   admin_password              the first admin's password: $ADMIN_PASSWORD, or random and printed once
#   tls_cert, tls_key           the certificate Traefik serves: $TLS_CERT_FILE/$TLS_KEY_FILE, or self-signed
#   <db>_db_password            one per database
#   chat_bot_db_password        chat's read-only role ems_chat_bot (device and monitoring databases)
#   xai_api_key                 $XAI_API_KEY (empty: the chat bot answers with rules and its fallback only)
#   rabbitmq_url_<service>      one RabbitMQ user per service (web, balancer, monitoring, chat, simulator)
#   rabbitmq_definitions        those users and their least-privilege permissions, loaded by RabbitMQ
# Needs openssl (RabbitMQ's salted SHA-256 password hashes).
set -euo pipefail
exists() { docker secret inspect "$1" >/dev/null 2>&1; }
create() {
  if exists "$1"; then
    echo "secret $1 exists, kept"
  else
    # A trailing newline (stripped when read) keeps an empty xAI key a valid, non-empty secret.
    printf '%s\n' "$2" | docker secret create "$1" - >/dev/null && echo "secret $1 created"
  fi
}
random() { head -c 32 /dev/urandom | base64 | tr -d '/+=\n'; }

create auth_secret "$(random)"
# The socket tokens' key pair, made together (a half alone would not match the other): the private key
# is mounted on web, the public key on chat.
if exists socket_token_private_key && exists socket_token_public_key; then
  echo "secrets socket_token_private_key and socket_token_public_key exist, kept"
elif exists socket_token_private_key || exists socket_token_public_key; then
  echo "only one of socket_token_private_key and socket_token_public_key exists: remove it (docker secret rm) and run again" >&2
  exit 1
else
  keys="$(mktemp -d)"
  openssl genpkey -algorithm ed25519 -out "$keys/private.pem"
  openssl pkey -in "$keys/private.pem" -pubout -out "$keys/public.pem"
  create socket_token_private_key "$(cat "$keys/private.pem")"
  create socket_token_public_key "$(cat "$keys/public.pem")"
  rm -rf "$keys"
fi
if ! exists admin_password; then
  password="${ADMIN_PASSWORD:-$(random)}"
  create admin_password "$password"
  [[ -n "${ADMIN_PASSWORD:-}" ]] || echo "first admin: ${ADMIN_USERNAME:-admin} / $password  (shown once; kept only in the secret admin_password)"
fi
for db in auth user device monitoring chat; do create "${db}_db_password" "$(random)"; done
create chat_bot_db_password "$(random)"
# The certificate Traefik serves on :443: yours (TLS_CERT_FILE, TLS_KEY_FILE: PEM, the chain first), or
# a self-signed one for PUBLIC_HOST (default localhost) that browsers will warn about.
if ! exists tls_cert; then
  if [[ -n "${TLS_CERT_FILE:-}" && -n "${TLS_KEY_FILE:-}" ]]; then
    create tls_cert "$(cat "$TLS_CERT_FILE")"
    create tls_key "$(cat "$TLS_KEY_FILE")"
  else
    tls="$(mktemp -d)"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=${PUBLIC_HOST:-localhost}" \
      -addext "subjectAltName=DNS:${PUBLIC_HOST:-localhost}" -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
    create tls_cert "$(cat "$tls/cert.pem")"
    docker secret rm tls_key >/dev/null 2>&1 || true
    create tls_key "$(cat "$tls/key.pem")"
    rm -rf "$tls"
    echo "tls: self-signed certificate for ${PUBLIC_HOST:-localhost} (set TLS_CERT_FILE and TLS_KEY_FILE for a real one)"
  fi
fi
create xai_api_key "${XAI_API_KEY:-}"

# RabbitMQ: the users and the definitions file are made together, or not at all (their passwords must match).
services=(web balancer monitoring chat simulator)
if exists rabbitmq_definitions; then
  echo "secret rabbitmq_definitions exists, kept (with the rabbitmq_url_* secrets)"
  exit 0
fi
# rabbit_password_hashing_sha256: base64(salt ‖ sha256(salt ‖ password)), 4 random bytes of salt.
hash_password() {
  local tmp; tmp="$(mktemp -d)"
  head -c 4 /dev/urandom >"$tmp/salt"
  { cat "$tmp/salt"; printf '%s' "$1"; } | openssl dgst -sha256 -binary >"$tmp/digest"
  cat "$tmp/salt" "$tmp/digest" | base64 | tr -d '\n'
  rm -rf "$tmp"
}
# Every process declares the whole EMS topology at start (configure on all EMS names, read on the
# notifications exchange and write on the chat queue to bind them); beyond that each may only read
# what it consumes and write where it publishes (amq.default: the partition, sync and dead-letter queues).
# Web also reads the dead-letter queue, and only that one more: the operations console counts dead
# letters by reason (basic.get from the head, then every one requeued in place; it never acks one).
names='^(sensor\\..*|monitoring\\.sync\\.queue|ems\\.dead-letter\\.queue|ems\\.notifications|chat\\.notifications\\.queue)$'
declare -A read=(
  [web]='^(ems\\.notifications|ems\\.dead-letter\\.queue)$'
  [balancer]='^(sensor\\.data\\.queue|ems\\.notifications)$'
  [monitoring]='^(sensor\\.queue\\.[0-9]+|monitoring\\.sync\\.queue|ems\\.notifications)$'
  [chat]='^(chat\\.notifications\\.queue|ems\\.notifications)$'
  [simulator]='^ems\\.notifications$'
)
declare -A write=(
  [web]='^(amq\\.default|ems\\.notifications|chat\\.notifications\\.queue)$'
  [balancer]='^(amq\\.default|chat\\.notifications\\.queue)$'
  [monitoring]='^(amq\\.default|ems\\.notifications|chat\\.notifications\\.queue)$'
  [chat]='^(amq\\.default|chat\\.notifications\\.queue)$'
  [simulator]='^(amq\\.default|chat\\.notifications\\.queue)$'
)
users="" permissions=""
for service in "${services[@]}"; do
  password="$(random)"
  users+="${users:+,}{\"name\":\"ems-$service\",\"password_hash\":\"$(hash_password "$password")\",\"hashing_algorithm\":\"rabbit_password_hashing_sha256\",\"tags\":[]}"
  permissions+="${permissions:+,}{\"user\":\"ems-$service\",\"vhost\":\"/\",\"configure\":\"$names\",\"read\":\"${read[$service]}\",\"write\":\"${write[$service]}\"}"
  docker secret rm "rabbitmq_url_$service" >/dev/null 2>&1 || true
  create "rabbitmq_url_$service" "amqp://ems-$service:$password@rabbitmq:5672"
done
# The dead-letter queue is bounded and never drops: once full, a dead-lettering publish is refused
# (nacked), so the consumer keeps the original message and retries; the backlog is visible, not lost.
policies='{"vhost":"/","name":"ems-dead-letter-bound","pattern":"^ems\\.dead-letter\\.queue$","apply-to":"queues","priority":0,"definition":{"max-length":1000000,"max-length-bytes":268435456,"overflow":"reject-publish"}}'
create rabbitmq_definitions "{\"vhosts\":[{\"name\":\"/\"}],\"users\":[$users],\"permissions\":[$permissions],\"policies\":[$policies]}"
