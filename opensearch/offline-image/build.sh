#!/usr/bin/env bash
# opensearchproject/opensearch:<OPENSEARCH_VERSION> from Maven Central, laid out as the
# distribution is: lib/ (pom.xml), modules/transport-netty4/ (pom-transport-netty4.xml, with its
# descriptor and security policy), config/. See Dockerfile.
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
ctx=$(context_dir opensearch)
home="$ctx/home" module="$ctx/home/modules/transport-netty4"
maven_classpath "$here/pom.xml" "$home/lib" "-Dopensearch.version=$OPENSEARCH_VERSION"
maven_classpath "$here/pom-transport-netty4.xml" "$module" "-Dopensearch.version=$OPENSEARCH_VERSION"
sed "s/@VERSION@/$OPENSEARCH_VERSION/" "$here/plugin-descriptor.properties" >"$module/plugin-descriptor.properties"
cp "$here/plugin-security.policy" "$module/"
mkdir -p "$home/config"
cp "$here"/{opensearch.yml,log4j2.properties} "$home/config/"
cp "$here/opensearch-docker-entrypoint.sh" "$ctx/"
docker_build --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$1" -f "$here/Dockerfile" "$ctx"
