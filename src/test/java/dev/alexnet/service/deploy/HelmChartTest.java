package dev.alexnet.service.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PersistentVolumeClaim;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Helm chart, offline: helm lint --strict, helm template with the default values and with
 * each toggle, every manifest parsed strictly by the Kubernetes client's own models (unknown
 * fields and wrong types are rejected), and the settings a cluster operator relies on.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("helm/alexnet-service");
    private static final String KUBE_VERSION = "1.30.0";
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    @BeforeAll
    static void validateStrictly() {
        new JSON();
    }

    private record Manifest(String kind, String json) {
    }

    private static List<Manifest> render(Map<String, Object> values) {
        var template = new Helm(CHART).template().withName("demo").withNamespace("ml").withKubeVersion(KUBE_VERSION);
        values.forEach(template::set);
        String yaml = template.call();
        List<Manifest> manifests = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(yaml)) {
            if (doc instanceof Map<?, ?> map && !map.isEmpty()) {
                manifests.add(new Manifest(String.valueOf(map.get("kind")), MAPPER.writeValueAsString(map)));
            }
        }
        return manifests;
    }

    /** Parses every manifest with the model of its kind; the models reject unknown fields. */
    private static Map<String, Object> parseAll(List<Manifest> manifests) {
        Map<String, Object> byKind = new java.util.LinkedHashMap<>();
        for (Manifest m : manifests) {
            Object parsed = switch (m.kind()) {
                case "Deployment" -> JSON.deserialize(m.json(), V1Deployment.class);
                case "Service" -> JSON.deserialize(m.json(), V1Service.class);
                case "ConfigMap" -> JSON.deserialize(m.json(), V1ConfigMap.class);
                case "HorizontalPodAutoscaler" -> JSON.deserialize(m.json(), V2HorizontalPodAutoscaler.class);
                case "PodDisruptionBudget" -> JSON.deserialize(m.json(), V1PodDisruptionBudget.class);
                case "PersistentVolumeClaim" -> JSON.deserialize(m.json(), V1PersistentVolumeClaim.class);
                case "ServiceMonitor" -> serviceMonitor(m.json());
                default -> throw new AssertionError("unexpected kind " + m.kind());
            };
            byKind.put(m.kind(), parsed);
        }
        return byKind;
    }

    /** ServiceMonitor is the Prometheus Operator's CRD, not in the client's models: check its required shape. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> serviceMonitor(String json) {
        Map<String, Object> map = MAPPER.readValue(json, Map.class);
        assertThat(map.get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
        Map<String, Object> spec = (Map<String, Object>) map.get("spec");
        assertThat(spec).containsOnlyKeys("selector", "endpoints");
        Map<String, Object> endpoint = (Map<String, Object>) ((List<?>) spec.get("endpoints")).get(0);
        assertThat(endpoint).containsEntry("port", "metrics").containsEntry("path", "/actuator/prometheus");
        return map;
    }

    private static V1Container container(Map<String, Object> parsed) {
        return ((V1Deployment) parsed.get("Deployment")).getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void lintsStrictly() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
    }

    @Test
    void defaultValuesRenderValidManifests() {
        Map<String, Object> parsed = parseAll(render(Map.of()));
        assertThat(parsed).containsOnlyKeys("ConfigMap", "Service", "Deployment", "PodDisruptionBudget");
        V1Deployment deployment = (V1Deployment) parsed.get("Deployment");
        var pod = deployment.getSpec().getTemplate().getSpec();
        V1Container c = container(parsed);

        assertThat(c.getImage()).isEqualTo("alexnet-service:0.1.0");
        assertThat(c.getPorts()).extracting(p -> p.getName() + ":" + p.getContainerPort()).containsExactly("http:8080", "metrics:8081", "grpc:8082");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
        assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
        assertThat(c.getStartupProbe().getPeriodSeconds() * c.getStartupProbe().getFailureThreshold())
                .as("seconds allowed for loading the weights").isGreaterThanOrEqualTo(120);

        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");

        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory").doesNotContainKey("nvidia.com/gpu");
        assertThat(c.getLifecycle().getPreStop().getExec().getCommand()).containsExactly("sleep", "10");
        assertThat(pod.getTerminationGracePeriodSeconds()).as("longer than preStop + drain + batching timeout")
                .isGreaterThan(10 + 5 + 30);
        assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/tmp");
        assertThat(c.getEnv()).anySatisfy(e -> assertThat(e.getValue()).contains("MaxRAMPercentage")
                .contains("org.bytedeco.javacpp.maxbytes").contains("org.bytedeco.javacpp.maxphysicalbytes"));

        V1ConfigMap config = (V1ConfigMap) parsed.get("ConfigMap");
        assertThat(config.getData()).containsEntry("ALEXNET_PREPROCESSING_MODE", "center-crop")
                .containsEntry("ALEXNET_BATCHING_MAX_BATCH_SIZE", "32").containsEntry("ALEXNET_MAX_PIXELS", "40000000")
                .doesNotContainKey("ALEXNET_WEIGHTS");
        V1Service service = (V1Service) parsed.get("Service");
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort()).containsExactly("http:8080", "metrics:8081", "grpc:8082");
        assertThat(service.getSpec().getSelector()).isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void gpuValues() {
        Map<String, Object> parsed = parseAll(render(Map.of("gpu.enabled", true, "gpu.count", 2)));
        V1Container c = container(parsed);
        var pod = ((V1Deployment) parsed.get("Deployment")).getSpec().getTemplate().getSpec();
        assertThat(c.getImage()).isEqualTo("alexnet-service:0.1.0-cuda");
        assertThat(c.getResources().getLimits().get("nvidia.com/gpu").getNumber().intValue()).isEqualTo(2);
        assertThat(pod.getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(pod.getTolerations()).anySatisfy(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));
    }

    @Test
    void autoscalingOnCpuAndQueueDepth() {
        Map<String, Object> parsed = parseAll(render(Map.of("autoscaling.enabled", true, "autoscaling.queueDepth.enabled", true)));
        V2HorizontalPodAutoscaler hpa = (V2HorizontalPodAutoscaler) parsed.get("HorizontalPodAutoscaler");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(((V1Deployment) parsed.get("Deployment")).getMetadata().getName());
        assertThat(hpa.getSpec().getMetrics()).extracting(m -> m.getType()).containsExactly("Resource", "Pods");
        assertThat(hpa.getSpec().getMetrics().get(1).getPods().getMetric().getName()).isEqualTo("alexnet_queue_depth");
        assertThat(((V1Deployment) parsed.get("Deployment")).getSpec().getReplicas()).as("replicas left to the HPA").isNull();
    }

    @Test
    void serviceMonitorToggle() {
        assertThat(parseAll(render(Map.of("serviceMonitor.enabled", true, "serviceMonitor.labels.release", "kube-prometheus"))))
                .containsKey("ServiceMonitor");
    }

    @Test
    void weightsFromAPvcOrAVerifiedDownload() {
        Map<String, Object> pvc = parseAll(render(Map.of("weights.source", "pvc", "weights.pvc.create", true)));
        assertThat(pvc).containsKey("PersistentVolumeClaim");
        assertThat(((V1ConfigMap) pvc.get("ConfigMap")).getData()).containsEntry("ALEXNET_WEIGHTS", "/models/bvlc_alexnet.npy");
        var volumes = ((V1Deployment) pvc.get("Deployment")).getSpec().getTemplate().getSpec().getVolumes();
        assertThat(volumes).filteredOn(v -> v.getPersistentVolumeClaim() != null)
                .extracting(v -> v.getPersistentVolumeClaim().getClaimName()).containsExactly("alexnet-weights");

        String sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        Map<String, Object> url = parseAll(render(Map.of("weights.source", "url",
                "weights.url.url", "https://models.example.org/bvlc_alexnet.npy", "weights.url.sha256", sha)));
        var init = ((V1Deployment) url.get("Deployment")).getSpec().getTemplate().getSpec().getInitContainers().get(0);
        assertThat(String.join(" ", init.getArgs())).contains("sha256sum -c").contains(sha).contains("https://models.example.org/bvlc_alexnet.npy");
        assertThat(init.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    }

    @Test
    void aModelRepositoryFromAClaimWithItsControlMode() {
        Map<String, Object> parsed = parseAll(render(Map.of("modelRepository.enabled", true, "modelRepository.create", true,
                "modelRepository.control", "explicit", "modelRepository.maxLoaded", 2, "modelRepository.defaultModel", "flowers")));
        assertThat(((V1ConfigMap) parsed.get("ConfigMap")).getData()).containsEntry("ALEXNET_MODEL_REPOSITORY", "/model-repository")
                .containsEntry("ALEXNET_MODEL_REPOSITORY_CONTROL", "explicit").containsEntry("ALEXNET_MODEL_REPOSITORY_MAX_LOADED", "2")
                .containsEntry("ALEXNET_MODEL_REPOSITORY_POLL_INTERVAL", "30s").containsEntry("ALEXNET_DEFAULT_MODEL", "flowers");
        var pod = ((V1Deployment) parsed.get("Deployment")).getSpec().getTemplate().getSpec();
        assertThat(pod.getVolumes()).filteredOn(v -> v.getPersistentVolumeClaim() != null)
                .extracting(v -> v.getPersistentVolumeClaim().getClaimName() + " " + v.getPersistentVolumeClaim().getReadOnly())
                .containsExactly("alexnet-model-repository true");
        assertThat(pod.getContainers().get(0).getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/model-repository");
            assertThat(m.getReadOnly()).isTrue();
        });
        assertThat(parsed).containsKey("PersistentVolumeClaim");
        assertThat(((V1ConfigMap) parseAll(render(Map.of())).get("ConfigMap")).getData()).doesNotContainKey("ALEXNET_MODEL_REPOSITORY");
        assertThatThrownBy(() -> render(Map.of("modelRepository.control", "sometimes"))).hasMessageContaining("control");
        assertThatThrownBy(() -> render(Map.of("modelRepository.defaultModel", "../x"))).hasMessageContaining("defaultModel");
    }

    @Test
    void theSchemaRejectsBadValues() {
        assertThatThrownBy(() -> render(Map.of("config.preprocessingMode", "stretch"))).hasMessageContaining("preprocessingMode");
        assertThatThrownBy(() -> render(Map.of("weights.source", "url", "weights.url.url", "https://x/y.npy")))
                .hasMessageContaining("sha256");
        assertThatThrownBy(() -> render(Map.of("replicaCount", 0))).hasMessageContaining("replicaCount");
        assertThatThrownBy(() -> render(Map.of("unknownKey", "x"))).hasMessageContaining("unknownKey");
    }

    @Test
    void everyServiceSettingIsConfigurable() {
        Map<String, Object> parsed = parseAll(render(Map.of("config.batching.maxBatchSize", 8, "config.batching.maxDelay", "2ms",
                "config.batching.queueCapacity", 64, "config.batching.timeout", "10s", "config.preprocessingMode", "resize",
                "config.cpuExtension", "generic", "config.labelsFile", "labels.txt", "config.maxImagesPerRequest", 4)));
        assertThat(((V1ConfigMap) parsed.get("ConfigMap")).getData())
                .containsEntry("ALEXNET_BATCHING_MAX_BATCH_SIZE", "8").containsEntry("ALEXNET_BATCHING_MAX_DELAY", "2ms")
                .containsEntry("ALEXNET_BATCHING_QUEUE_CAPACITY", "64").containsEntry("ALEXNET_BATCHING_TIMEOUT", "10s")
                .containsEntry("ALEXNET_PREPROCESSING_MODE", "resize").containsEntry("ALEXNET_BACKEND_CPU_EXTENSION", "generic")
                .containsEntry("ALEXNET_LABELS", "/models/labels.txt").containsEntry("ALEXNET_MAX_IMAGES_PER_REQUEST", "4");
    }
}
