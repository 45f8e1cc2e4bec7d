package dev.alexnet.service.api;

/**
 * The request attributes the API's parts leave for each other: filters, controllers and exception
 * handlers read and write them through these keys, so that none of them imports another for a constant.
 */
public final class RequestAttributes {

    /** The number of images a successful request classified (an {@code Integer}), for the images counter. */
    public static final String IMAGES = "alexnet.images";
    /** The {@code ProblemType} a refused request was answered with, for the outcome and reason tags. */
    public static final String PROBLEM = "alexnet.problem";
    /** The model a request was served by (a {@code String}), for the {@code model} tag; unset: "none". */
    public static final String MODEL = "alexnet.model";
    /** The version of that model (a {@code String}), for the {@code version} tag. */
    public static final String VERSION = "alexnet.modelVersion";
    /** The request's id (a {@code String}), echoed in problem details and log lines. */
    public static final String REQUEST_ID = "alexnet.requestId";

    private static final java.util.regex.Pattern SAFE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestAttributes() {
    }

    /** Records the model version serving a request, for the metrics' {@code model} and {@code version} tags. */
    public static void servedBy(jakarta.servlet.ServletRequest request, String model, String version) {
        request.setAttribute(MODEL, model);
        request.setAttribute(VERSION, version);
    }

    /** The id of a request, HTTP or gRPC: the client's own when it is a sane token, else a new UUID. */
    public static String requestId(String given) {
        return given != null && SAFE_ID.matcher(given).matches() ? given : java.util.UUID.randomUUID().toString();
    }
}
