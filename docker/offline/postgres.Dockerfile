# OFFLINE STAND-IN for postgres:15 (see build-base-images.sh): Debian's PostgreSQL 15 with an
# entrypoint that honours what the stack uses of the official image: POSTGRES_USER, POSTGRES_DB,
# POSTGRES_PASSWORD(_FILE), data in /var/lib/postgresql/data, pg_isready on PATH.
ARG BASE
FROM ${BASE}
LABEL org.ems.offline-stand-in=true
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 gosu \
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
