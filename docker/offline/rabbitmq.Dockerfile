# OFFLINE STAND-IN for rabbitmq:4.1-management (see build-base-images.sh): Debian's RabbitMQ (3.10)
# with the management plugin, configured from /etc/rabbitmq/conf.d like the official image.
ARG BASE
FROM ${BASE}
LABEL org.ems.offline-stand-in=true
RUN apt-get update && apt-get install -y --no-install-recommends rabbitmq-server gosu \
 && rm -rf /var/lib/apt/lists/* \
 && rabbitmq-plugins --offline enable rabbitmq_management >/dev/null \
 && mkdir -p /var/lib/rabbitmq /etc/rabbitmq/conf.d && chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
COPY rabbitmq-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV RABBITMQ_CONFIG_FILES=/etc/rabbitmq/conf.d HOME=/var/lib/rabbitmq
VOLUME /var/lib/rabbitmq
EXPOSE 5672 15672
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["rabbitmq-server"]
