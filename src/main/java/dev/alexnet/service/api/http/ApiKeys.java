package dev.alexnet.service.api.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import dev.alexnet.service.config.SecurityProperties;
import org.springframework.stereotype.Component;

/**
 * The configured API keys, checked the same way for HTTP ({@code ApiKeyFilter}) and gRPC: the
 * presented key's SHA-256 against each key's, in constant time, so that neither a key's content
 * nor its length leaks through timing.
 */
@Component
public class ApiKeys {

    private final List<byte[]> digests;
    private final List<byte[]> adminDigests;

    public ApiKeys(SecurityProperties security) {
        this.adminDigests = digests(security.adminApiKeys());
        this.digests = java.util.stream.Stream.concat(digests(security.apiKeys()).stream(), adminDigests.stream()).toList();
    }

    private static List<byte[]> digests(List<String> keys) {
        return keys.stream().map(String::trim).filter(k -> !k.isEmpty()).map(ApiKeys::sha256).toList();
    }

    /** Whether any key is configured (else every request is let through). */
    public boolean enabled() {
        return !digests.isEmpty();
    }

    /** Whether {@code presented} (X-API-Key, or a bearer token) is one of the keys, an admin key included. */
    public boolean accepts(String presented) {
        return matches(presented, digests);
    }

    /** Whether {@code presented} is one of the admin keys, which may also change the model repository. */
    public boolean acceptsAdmin(String presented) {
        return matches(presented, adminDigests);
    }

    private static boolean matches(String presented, List<byte[]> keys) {
        if (presented == null) {
            return false;
        }
        byte[] digest = sha256(presented);
        boolean ok = false;
        for (byte[] key : keys) {
            ok |= MessageDigest.isEqual(digest, key);
        }
        return ok;
    }

    /** The key in an {@code X-API-Key} value, else in an {@code Authorization: Bearer} value; null if neither. */
    public static String presented(String apiKeyHeader, String authorization) {
        if (apiKeyHeader != null) {
            return apiKeyHeader;
        }
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        return null;
    }

    static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
