#!/usr/bin/env bash
# apache/kafka:<KAFKA_VERSION> from Maven Central (pom.xml), on Debian's OpenJDK (see Dockerfile).
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
ctx=$(context_dir kafka)
maven_classpath "$here/pom.xml" "$ctx/libs" "-Dkafka.version=$KAFKA_VERSION"
cp "$here"/{run,kafka-tool,log4j2.properties,tools-log4j2.properties} "$ctx/"
docker_build --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$1" -f "$here/Dockerfile" "$ctx"
