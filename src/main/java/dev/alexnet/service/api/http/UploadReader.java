package dev.alexnet.service.api.http;

import dev.alexnet.service.classify.Upload;
import dev.alexnet.service.api.problem.ApiException;
import dev.alexnet.service.api.problem.ProblemType;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

import dev.alexnet.service.config.LimitsProperties;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartHttpServletRequest;

/**
 * Takes the images out of a request: multipart parts named {@code image}, in upload order, or a
 * raw body whose content type is {@code image/*} or {@code application/octet-stream}.
 */
@Component
public class UploadReader {

    private final long maxBytes;
    private final long uploadTimeoutNanos;

    UploadReader(LimitsProperties limits, @Value("${spring.servlet.multipart.max-file-size:10MB}") DataSize maxFileSize) {
        this.maxBytes = maxFileSize.toBytes();
        this.uploadTimeoutNanos = limits.uploadTimeout().toNanos();
    }

    /**
     * The request's images, in order. {@code checkCount} sees the number of parts before any is
     * copied, so that the use case's limit refuses a request before its bytes are read.
     */
    public List<Upload> read(HttpServletRequest request, IntConsumer checkCount) throws IOException {
        if (request instanceof MultipartHttpServletRequest multipart) {
            List<MultipartFile> files = multipart.getMultiFileMap().getOrDefault("image", List.of());
            if (files.isEmpty()) {
                throw new ApiException(ProblemType.MISSING_IMAGE, "the multipart request has no part named 'image'"
                        + (multipart.getMultiFileMap().isEmpty() ? "" : " (it has " + multipart.getMultiFileMap().keySet() + ")"));
            }
            checkCount.accept(files.size());
            List<Upload> uploads = new ArrayList<>(files.size());
            for (MultipartFile file : files) {
                if (file.isEmpty()) {
                    throw new ApiException(ProblemType.EMPTY_IMAGE, "the 'image' part" + name(file.getOriginalFilename()) + " is empty");
                }
                uploads.add(new Upload(file.getOriginalFilename(), file.getBytes()));
            }
            return uploads;
        }
        String type = request.getContentType() == null ? "" : request.getContentType().toLowerCase(Locale.ROOT);
        if (type.startsWith("multipart/")) {
            throw new ApiException(ProblemType.MALFORMED_REQUEST, "the multipart body could not be parsed");
        }
        if (!type.startsWith("image/") && !type.startsWith("application/octet-stream")) {
            throw new ApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "send the image as multipart/form-data parts named 'image', "
                    + "or as the raw body with an image/* content type" + (type.isEmpty() ? "" : "; got " + type));
        }
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            throw new ApiException(ProblemType.UPLOAD_TOO_LARGE, "the body is " + declared + " bytes; the limit is " + maxBytes);
        }
        byte[] body = readBody(request);
        if (body.length == 0) {
            throw new ApiException(ProblemType.EMPTY_IMAGE, "the request body is empty");
        }
        return List.of(new Upload(null, body));
    }

    /** Reads the raw body within the size limit and the upload timeout. */
    private byte[] readBody(HttpServletRequest request) throws IOException {
        return readBody(request, maxBytes);
    }

    /**
     * Reads a raw body of at most {@code limit} bytes, within the upload timeout: into one array of
     * its declared size, refused at once when that is over the limit.
     */
    public byte[] readBody(HttpServletRequest request, long limit) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            throw new ApiException(ProblemType.UPLOAD_TOO_LARGE, "the body is " + declared + " bytes; the limit is " + limit);
        }
        try (InputStream in = body(request, limit)) {
            if (declared >= 0) {
                // One array of the declared size: a growing buffer and its final copy held 2.5x the
                // body at once (13 MB for a 5.3 MB photo), which at 64 clients ran a 512 MB heap out.
                byte[] body = in.readNBytes((int) declared);
                if (body.length < declared) {
                    throw new ApiException(ProblemType.MALFORMED_REQUEST,
                            "the body ended after " + body.length + " of its declared " + declared + " bytes");
                }
                return body;
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream((int) Math.min(limit, 1 << 20));
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    /**
     * The request body as a stream that fails with 413 {@code upload-too-large} past
     * {@code maxBytes}, and with 408 {@code upload-too-slow} once the upload timeout has passed
     * (checked after every read) or when a single read times out in the connector: a body trickled
     * steadily cannot hold the thread.
     */
    InputStream body(HttpServletRequest request, long maxBytes) throws IOException {
        return new DeadlineInputStream(request.getInputStream(), System.nanoTime() + uploadTimeoutNanos, maxBytes);
    }

    private final class DeadlineInputStream extends java.io.FilterInputStream {
        private final long deadlineNanos;
        private final long maxBytes;
        private long read;

        DeadlineInputStream(InputStream in, long deadlineNanos, long maxBytes) {
            super(in);
            this.deadlineNanos = deadlineNanos;
            this.maxBytes = maxBytes;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, (int) Math.min(len, maxBytes - read + 1));
            } catch (IOException e) {
                if (isReadTimeout(e)) {
                    throw new ApiException(ProblemType.UPLOAD_TOO_SLOW, "the body stopped arriving (" + read + " bytes so far)");
                }
                throw e;
            }
            if (n > 0) {
                read += n;
                if (read > maxBytes) {
                    throw new ApiException(ProblemType.UPLOAD_TOO_LARGE, "the body is over the limit of " + maxBytes + " bytes");
                }
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new ApiException(ProblemType.UPLOAD_TOO_SLOW, "the body did not arrive within "
                        + uploadTimeoutNanos / 1_000_000 + " ms (" + read + " bytes so far)");
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            return read(new byte[(int) Math.min(n, 8192)], 0, (int) Math.min(n, 8192));
        }
    }

    /** Whether a failure reading the request came from a read that timed out (the client stopped sending). */
    static boolean isReadTimeout(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String name(String filename) {
        return filename == null || filename.isBlank() ? "" : " (" + filename + ")";
    }
}
