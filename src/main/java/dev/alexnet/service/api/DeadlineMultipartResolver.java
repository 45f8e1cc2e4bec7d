package dev.alexnet.service.api;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import org.apache.tomcat.util.http.fileupload.MultipartStream;
import org.apache.tomcat.util.http.fileupload.ParameterParser;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.util.unit.DataSize;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import org.springframework.web.multipart.MultipartResolver;
import org.springframework.web.multipart.support.DefaultMultipartHttpServletRequest;

/**
 * Parses multipart/form-data from the body as {@link UploadReader#body} delivers it, so that a
 * multipart upload has the same whole-body deadline as a raw one: Tomcat's own parser only times
 * single reads, and a part trickled a byte at a time held a request thread for as long as the
 * client liked. Limits: {@code spring.servlet.multipart.max-request-size} for the body (413),
 * {@code spring.servlet.multipart.max-file-size} per part (413), {@code server.tomcat.max-part-count}
 * parts (400 too-many-images). Parts with a file name are files; the others are form fields.
 */
@Component("multipartResolver")
class DeadlineMultipartResolver implements MultipartResolver {

    private final UploadReader uploads;
    private final long maxRequestBytes;
    private final long maxFileBytes;
    private final int maxParts;

    DeadlineMultipartResolver(UploadReader uploads,
                              @Value("${spring.servlet.multipart.max-request-size:64MB}") DataSize maxRequestSize,
                              @Value("${spring.servlet.multipart.max-file-size:10MB}") DataSize maxFileSize,
                              @Value("${server.tomcat.max-part-count:64}") int maxParts) {
        this.uploads = uploads;
        this.maxRequestBytes = maxRequestSize.toBytes();
        this.maxFileBytes = maxFileSize.toBytes();
        this.maxParts = maxParts;
    }

    @Override
    public boolean isMultipart(HttpServletRequest request) {
        String type = request.getContentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/");
    }

    @Override
    public MultipartHttpServletRequest resolveMultipart(HttpServletRequest request) throws MultipartException {
        String boundary = boundary(request.getContentType());
        if (request.getContentLengthLong() > maxRequestBytes) {
            throw new MaxUploadSizeExceededException(maxRequestBytes);
        }
        MultiValueMap<String, MultipartFile> files = new LinkedMultiValueMap<>();
        MultiValueMap<String, String> fields = new LinkedMultiValueMap<>();
        int parts = 0;
        try (InputStream body = uploads.body(request, maxRequestBytes)) {
            MultipartStream stream = new MultipartStream(body, boundary.getBytes(StandardCharsets.ISO_8859_1), 8192, null);
            stream.setHeaderEncoding(StandardCharsets.UTF_8.name());
            for (boolean more = stream.skipPreamble(); more; more = stream.readBoundary()) {
                if (++parts > maxParts) {
                    throw new ApiException(ProblemType.TOO_MANY_IMAGES, "the multipart request has more than " + maxParts + " parts");
                }
                Map<String, String> headers = headers(stream.readHeaders());
                LimitedBuffer data = new LimitedBuffer(maxFileBytes);
                stream.readBodyData(data);
                Map<String, String> disposition = new ParameterParser().parse(headers.getOrDefault("content-disposition", ""), ';');
                String name = disposition.get("name");
                if (name == null) {
                    continue;
                }
                if (disposition.containsKey("filename")) {
                    files.add(name, new BytesMultipartFile(name, disposition.get("filename"), headers.get("content-type"), data.toByteArray()));
                } else {
                    fields.add(name, data.toString(StandardCharsets.UTF_8));
                }
            }
        } catch (MaxUploadSizeExceededException | ApiException e) {
            throw e;
        } catch (IOException e) {
            throw new MultipartException("the multipart body could not be parsed: " + e.getMessage(), e);
        }
        Map<String, String[]> parameters = new java.util.LinkedHashMap<>();
        fields.forEach((k, v) -> parameters.put(k, v.toArray(String[]::new)));
        return new DefaultMultipartHttpServletRequest(request, files, parameters, Map.of());
    }

    @Override
    public void cleanupMultipart(MultipartHttpServletRequest request) {
        // Everything is in memory; nothing to delete.
    }

    private static String boundary(String contentType) {
        Map<String, String> params = new ParameterParser().parse(contentType, new char[] {';', ','});
        String boundary = params.get("boundary");
        if (boundary == null || boundary.isEmpty()) {
            throw new MultipartException("the multipart content type has no boundary");
        }
        return boundary;
    }

    /** Header names in lower case; the block as MultipartStream returns it, lines ending in CRLF. */
    private static Map<String, String> headers(String block) {
        Map<String, String> headers = new java.util.HashMap<>();
        for (String line : block.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return headers;
    }

    /** A part's bytes, refused past the per-part limit as they arrive. */
    private static final class LimitedBuffer extends ByteArrayOutputStream {
        private final long limit;

        LimitedBuffer(long limit) {
            this.limit = limit;
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            check(len);
            super.write(b, off, len);
        }

        @Override
        public synchronized void write(int b) {
            check(1);
            super.write(b);
        }

        private void check(int more) {
            if (count + (long) more > limit) {
                throw new ApiException(ProblemType.UPLOAD_TOO_LARGE, "a part is over the limit of " + limit + " bytes");
            }
        }
    }

    private record BytesMultipartFile(String name, String originalFilename, String contentType, byte[] bytes)
            implements MultipartFile {

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getOriginalFilename() {
            return originalFilename;
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public boolean isEmpty() {
            return bytes.length == 0;
        }

        @Override
        public long getSize() {
            return bytes.length;
        }

        @Override
        public byte[] getBytes() {
            return bytes;
        }

        @Override
        public InputStream getInputStream() {
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public void transferTo(File dest) throws IOException {
            Files.write(dest.toPath(), bytes);
        }
    }
}
