-- migrate:up
-- The counters of the sign-in and registration throttles (apps/web/src/server/domain/login-throttle.ts),
-- in the layout of rate-limiter-flexible's RateLimiterPostgres. The table is created here, so that
-- migrations own the schema; the limiters run with `tableCreated: true` and never issue DDL.
--   key    '<limiter>:<subject>', e.g. 'login-pair:alice@203.0.113.7' (text with the library's 255-character
--          bound instead of its varchar(255), as elsewhere in this schema)
--   points what was counted in the current window (consume adds 1 atomically: INSERT … ON CONFLICT
--          DO UPDATE … RETURNING; an expired row starts again)
--   expire end of the window, epoch milliseconds (NULL: never expires; not used here)
CREATE TABLE rate_limits (
  key    text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
-- The library's clean-up deletes rows that expired over an hour ago (DELETE … WHERE expire < $1).
CREATE INDEX rate_limits_expire_idx ON rate_limits (expire);

-- login_throttle, the previous throttle's table, is no longer written or read. It stays for now: during
-- a start-first roll the previous release still serves sign-ins against it after this migration ran.
-- A later migration drops it.

-- migrate:down
DROP TABLE rate_limits;
