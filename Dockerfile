# alexnet-service runtime image. The jar is built on the host (./mvnw -DskipTests package) and
# copied in: a Maven stage inside `docker build` cannot reach Maven Central from our build
# machines (their outgoing proxy's certificate is trusted only on the host), and the host build is
# the one the tests ran against. The jar is extracted in Spring Boot's layers so that a code change
# rebuilds only the small application layer, not the 500 MB of ND4J natives.
#
#   docker build -t alexnet-service .                          # CPU image (the default target)
#   docker build --target cuda -t alexnet-service:cuda .       # GPU image, from a jar built with -Pcuda
#   docker run -p 8080:8080 -p 8081:8081 -p 8082:8082 -v "$PWD/models:/models:ro" alexnet-service
#
# Weights: mount a folder holding bvlc_alexnet.npy at /models. Without it the service runs on the
# random-init weights and says so loudly.

ARG JRE_IMAGE=eclipse-temurin:17-jre
ARG CUDA_IMAGE=nvidia/cuda:11.6.2-cudnn8-runtime-ubuntu20.04

FROM ${JRE_IMAGE} AS layers
WORKDIR /build
COPY target/alexnet-service.jar alexnet-service.jar
RUN java -Djarmode=tools -jar alexnet-service.jar extract --layers --launcher --destination extracted

FROM ${JRE_IMAGE} AS runtime
# TurboJPEG (Debian's and Ubuntu's libturbojpeg-java): SIMD JPEG decoding with DCT-domain
# downscaling, 4x faster on phone photos than ImageIO (docs/benchmarks.md). Base images that ship
# it already (the one our CI makes) skip the install.
RUN if [ ! -e /usr/share/java/turbojpeg.jar ]; then \
      apt-get update && apt-get install -y --no-install-recommends libturbojpeg-java && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
COPY --from=layers /build/extracted/dependencies/ ./
COPY --from=layers /build/extracted/spring-boot-loader/ ./
COPY --from=layers /build/extracted/snapshot-dependencies/ ./
COPY --from=layers /build/extracted/application/ ./
COPY docker/entrypoint.sh /app/entrypoint.sh
# JVM sized for containers: heap from the container's memory; JavaCPP's off-heap limits leave room
# for the 233 MiB of weights, the activations of a batch and oneDNN's scratch space. JavaCPP unpacks
# its native libraries under /tmp, which stays writable with a read-only root filesystem.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=40 -Dorg.bytedeco.javacpp.maxbytes=2g -Dorg.bytedeco.javacpp.maxphysicalbytes=3g -Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp -Djava.io.tmpdir=/tmp" \
    ALEXNET_MODELS_DIR=/models
VOLUME ["/models", "/tmp"]
USER 10001:10001
EXPOSE 8080 8081 8082
HEALTHCHECK --interval=10s --timeout=8s --start-period=180s --retries=3 \
  CMD ["java", "-XX:TieredStopAtLevel=1", "-XX:MaxRAMPercentage=5", "org.springframework.boot.loader.launch.JarLauncher", "healthcheck"]
ENTRYPOINT ["/app/entrypoint.sh"]

# GPU image: the CUDA 11.6 + cuDNN 8 runtime with a JRE, for the jar built with ./mvnw -Pcuda.
# It cannot be built or run on our build machines (no image can be pulled, and no GPU): untested there.
FROM ${CUDA_IMAGE} AS cuda
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless libturbojpeg-java && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=layers /build/extracted/dependencies/ ./
COPY --from=layers /build/extracted/spring-boot-loader/ ./
COPY --from=layers /build/extracted/snapshot-dependencies/ ./
COPY --from=layers /build/extracted/application/ ./
COPY docker/entrypoint.sh /app/entrypoint.sh
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=40 -Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=6g -Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp -Djava.io.tmpdir=/tmp" \
    ALEXNET_MODELS_DIR=/models
VOLUME ["/models", "/tmp"]
USER 10001:10001
EXPOSE 8080 8081 8082
HEALTHCHECK --interval=10s --timeout=8s --start-period=240s --retries=3 \
  CMD ["java", "-XX:TieredStopAtLevel=1", "-XX:MaxRAMPercentage=5", "org.springframework.boot.loader.launch.JarLauncher", "healthcheck"]
ENTRYPOINT ["/app/entrypoint.sh"]

FROM runtime
