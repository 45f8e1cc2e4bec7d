package dev.alexnet.service.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import dev.alexnet.service.api.problem.ApiException;
import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.classify.Upload;
import dev.alexnet.service.config.LimitsProperties;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.util.unit.DataSize;

/** Raw bodies: read whole into one array of the declared size, refused when short, too large, or of the wrong type. */
class UploadReaderTest {

    private final UploadReader uploads = new UploadReader(new LimitsProperties(32, 40_000_000, Duration.ofSeconds(30)), DataSize.ofBytes(100));

    private static MockHttpServletRequest raw(byte[] content, long declared) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/classify") {
            @Override
            public long getContentLengthLong() {
                return declared;
            }
        };
        request.setContentType("image/jpeg");
        request.setContent(content);
        return request;
    }

    @Test
    void aRawBodyIsOneUploadOfExactlyItsBytes() throws Exception {
        List<Upload> read = uploads.read(raw(new byte[] {1, 2, 3}, 3), n -> { });
        assertThat(read).singleElement().satisfies(u -> {
            assertThat(u.bytes()).containsExactly(1, 2, 3);
            assertThat(u.filename()).isNull();
        });
        assertThat(uploads.read(raw(new byte[] {4, 5}, -1), n -> { }).get(0).bytes()).as("chunked").containsExactly(4, 5);
    }

    @Test
    void aBodyThatEndsBeforeItsDeclaredLengthIsAMalformedRequest() {
        assertThatThrownBy(() -> uploads.read(raw(new byte[] {1, 2, 3}, 10), n -> { }))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.MALFORMED_REQUEST);
                    assertThat(e.getMessage()).isEqualTo("the body ended after 3 of its declared 10 bytes");
                });
    }

    @Test
    void tooLargeEmptyAndWrongTypeBodiesHaveTheirProblems() {
        assertThatThrownBy(() -> uploads.read(raw(new byte[101], 101), n -> { }))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.UPLOAD_TOO_LARGE));
        assertThatThrownBy(() -> uploads.read(raw(new byte[0], 0), n -> { }))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.EMPTY_IMAGE));
        MockHttpServletRequest text = raw(new byte[] {1}, 1);
        text.setContentType("text/plain");
        assertThatThrownBy(() -> uploads.read(text, n -> { }))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.UNSUPPORTED_MEDIA_TYPE));
        assertThatThrownBy(() -> uploads.readBody(raw(new byte[60], 60), 50)).as("a caller's own limit")
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.UPLOAD_TOO_LARGE));
    }
}
