package dev.alexnet.service.api.http;

import dev.alexnet.service.api.problem.ApiException;
import dev.alexnet.service.api.problem.ProblemType;
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
import org.apache.tomcat.util.http.fileupload.FileItemHeaders;
import org.apache.tomcat.util.http.fileupload.FileUpload;
import org.apache.tomcat.util.http.fileupload.MultipartStream;
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

    /** Tomcat's parsing of the boundary, the part headers, and the field and file names. */
    private final FileUpload parser = new FileUpload();

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
        byte[] boundary = parser.getBoundary(request.getContentType());
        if (boundary == null || boundary.length == 0) {
            throw new MultipartException("the multipart content type has no boundary");
        }
        if (request.getContentLengthLong() > maxRequestBytes) {
            throw new MaxUploadSizeExceededException(maxRequestBytes);
        }
        MultiValueMap<String, MultipartFile> files = new LinkedMultiValueMap<>();
        MultiValueMap<String, String> fields = new LinkedMultiValueMap<>();
        int parts = 0;
        try (InputStream body = uploads.body(request, maxRequestBytes)) {
            MultipartStream stream = new MultipartStream(body, boundary, 8192, null);
            stream.setHeaderEncoding(StandardCharsets.UTF_8.name());
            for (boolean more = stream.skipPreamble(); more; more = stream.readBoundary()) {
                if (++parts > maxParts) {
                    throw new ApiException(ProblemType.TOO_MANY_IMAGES, "the multipart request has more than " + maxParts + " parts");
                }
                FileItemHeaders headers = parser.getParsedHeaders(stream.readHeaders());
                LimitedBuffer data = new LimitedBuffer(maxFileBytes);
                stream.readBodyData(data);
                String name = parser.getFieldName(headers);
                if (name == null) {
                    continue;
                }
                String fileName = parser.getFileName(headers);
                if (fileName != null) {
                    files.add(name, new BytesMultipartFile(name, fileName, headers.getHeader("Content-Type"), data.toByteArray()));
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
