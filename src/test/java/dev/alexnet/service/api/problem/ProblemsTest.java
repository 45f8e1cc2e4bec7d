package dev.alexnet.service.api.problem;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import dev.alexnet.service.api.RequestAttributes;

class ProblemsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void writesTheSameProblemJsonAsTheControllersWithTheRequestIdAndEscapedValues() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/classify\"x");
        request.setAttribute(RequestAttributes.REQUEST_ID, "req-1");
        MockHttpServletResponse response = new MockHttpServletResponse();

        Problems.write(request, response, ProblemType.QUEUE_FULL, "the queue is \"full\"");

        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(response.getHeader("Retry-After")).isEqualTo("1");
        assertThat(response.getContentType()).startsWith("application/problem+json");
        JsonNode body = JSON.readTree(response.getContentAsString());
        assertThat(body.get("type").asString()).isEqualTo("urn:alexnet:problem:queue-full");
        assertThat(body.get("title").asString()).isEqualTo("Server busy");
        assertThat(body.get("status").asInt()).isEqualTo(503);
        assertThat(body.get("detail").asString()).isEqualTo("the queue is \"full\"");
        assertThat(body.get("instance").asString()).as("quoted as a URI must be").isEqualTo("/classify%22x");
        assertThat(body.get("requestId").asString()).isEqualTo("req-1");
        assertThat(request.getAttribute(RequestAttributes.PROBLEM)).isEqualTo(ProblemType.QUEUE_FULL);
    }

    @Test
    void answersTheOpenInferenceProtocolWithItsErrorObject() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/v2/models/alexnet/infer");
        MockHttpServletResponse response = new MockHttpServletResponse();

        Problems.write(request, response, ProblemType.UNAUTHORIZED, "the API key is not valid");

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(response.getHeader("Retry-After")).isNull();
        assertThat(response.getContentType()).startsWith("application/json");
        JsonNode body = JSON.readTree(response.getContentAsString());
        assertThat(body.propertyNames()).containsExactly("error");
        assertThat(body.get("error").asString()).isEqualTo("the API key is not valid");
    }
}
