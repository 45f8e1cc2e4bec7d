package dev.alexnet.service.api.http;

import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.api.problem.ApiException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.alexnet.service.config.LimitsProperties;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.util.unit.DataSize;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.MultipartHttpServletRequest;

/** The multipart parser behind the upload deadline: parts, fields, names and every limit. */
class DeadlineMultipartResolverTest {

    private final UploadReader uploads = new UploadReader(new LimitsProperties(32, 40_000_000, Duration.ofSeconds(30)), DataSize.ofBytes(100));
    private final DeadlineMultipartResolver resolver = new DeadlineMultipartResolver(uploads, DataSize.ofBytes(1000), DataSize.ofBytes(100), 4);

    private static MockHttpServletRequest request(String contentType, String body) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/classify");
        request.setContentType(contentType);
        request.setContent(body.getBytes(StandardCharsets.UTF_8));
        request.setQueryString("topk=3");
        request.addParameter("topk", "3");
        return request;
    }

    private static String part(String disposition, String content) {
        return "--xyz\r\nContent-Disposition: form-data; " + disposition + "\r\nContent-Type: image/png\r\n\r\n" + content + "\r\n";
    }

    @Test
    void filesInOrderFieldsApartAndTheQueryKept() {
        String body = "preamble\r\n" + part("name=\"image\"; filename=\"a.png\"", "AAA") + part("name=\"note\"", "hello")
                + part("name=\"image\"; filename=\"b\u00e9.png\"", "") + part("name=\"image\"; filename=\"c.png\"", "C\r\nC") + "--xyz--\r\n";
        MultipartHttpServletRequest parsed = resolver.resolveMultipart(request("multipart/form-data; boundary=\"xyz\"", body));
        assertThat(parsed.getFiles("image")).extracting(f -> f.getOriginalFilename()).containsExactly("a.png", "b\u00e9.png", "c.png");
        assertThat(parsed.getFiles("image")).extracting(f -> new String(bytes(f), StandardCharsets.UTF_8)).containsExactly("AAA", "", "C\r\nC");
        assertThat(parsed.getFile("image").getContentType()).isEqualTo("image/png");
        assertThat(parsed.getParameter("note")).isEqualTo("hello");
        assertThat(parsed.getParameter("topk")).isEqualTo("3");
        assertThat(resolver.isMultipart(parsed)).isTrue();
        assertThat(resolver.isMultipart(request("image/png", ""))).isFalse();
    }

    @Test
    void everyLimitHasItsAnswer() {
        String tooManyParts = part("name=\"image\"; filename=\"1\"", "x").repeat(5) + "--xyz--\r\n";
        assertThatThrownBy(() -> resolver.resolveMultipart(request("multipart/form-data; boundary=xyz", tooManyParts)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.TOO_MANY_IMAGES));
        String bigPart = part("name=\"image\"; filename=\"1\"", "x".repeat(101)) + "--xyz--\r\n";
        assertThatThrownBy(() -> resolver.resolveMultipart(request("multipart/form-data; boundary=xyz", bigPart)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.UPLOAD_TOO_LARGE));
        String bigBody = part("name=\"image\"; filename=\"1\"", "x".repeat(90)).repeat(12) + "--xyz--\r\n";
        assertThatThrownBy(() -> resolver.resolveMultipart(request("multipart/form-data; boundary=xyz", bigBody)))
                .as("declared too large: refused before reading").isInstanceOf(MaxUploadSizeExceededException.class);
        MockHttpServletRequest chunked = new MockHttpServletRequest("POST", "/classify") {
            @Override
            public long getContentLengthLong() {
                return -1;
            }
        };
        chunked.setContentType("multipart/form-data; boundary=xyz");
        chunked.setContent(bigBody.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> resolver.resolveMultipart(chunked)).as("undeclared: refused as it passes the limit")
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.UPLOAD_TOO_LARGE));
    }

    @Test
    void malformedBodiesAreMultipartErrors() {
        assertThatThrownBy(() -> resolver.resolveMultipart(request("multipart/form-data", "--xyz--\r\n")))
                .isInstanceOf(MultipartException.class).hasMessageContaining("no boundary");
        assertThatThrownBy(() -> resolver.resolveMultipart(request("multipart/form-data; boundary=xyz",
                "--xyz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\ntruncated")))
                .isInstanceOf(MultipartException.class);
        MultipartHttpServletRequest none = resolver.resolveMultipart(request("multipart/form-data; boundary=xyz", "no parts at all"));
        assertThat(none.getFileMap()).isEmpty();
    }

    private static byte[] bytes(org.springframework.web.multipart.MultipartFile f) {
        try {
            return f.getBytes();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
