#!/usr/bin/env bash
# The entrypoint, with the interface of the upstream image's: OPENSEARCH_JAVA_OPTS for the
# JVM, and every environment variable with a dot in its name (discovery.type=single-node) as a
# setting. The security plugin is not in this image, so DISABLE_SECURITY_PLUGIN and
# DISABLE_INSTALL_DEMO_CONFIG have nothing left to do.
set -euo pipefail
home=/usr/share/opensearch
settings=()
while IFS='=' read -r -d '' name value; do
  case "$name" in *.*) settings+=("-E$name=$value") ;; esac
done < <(env -0)
# shellcheck disable=SC2086 # OPENSEARCH_JAVA_OPTS is a list of options
exec java ${OPENSEARCH_JAVA_OPTS:--Xms512m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true \
  -Dfile.encoding=UTF-8 -Djna.nosys=true -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
  -Djava.security.manager=allow -Djava.io.tmpdir=/tmp \
  -Dopensearch.path.home="$home" -Dopensearch.path.conf="$home/config" \
  -Dopensearch.distribution.type=docker -Dopensearch.bundled_jdk=false \
  -cp "$home/lib/*" org.opensearch.bootstrap.OpenSearch "${settings[@]}" "$@"
