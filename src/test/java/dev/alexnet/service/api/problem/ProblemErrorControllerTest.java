package dev.alexnet.service.api.problem;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import jakarta.servlet.RequestDispatcher;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.test.web.servlet.MockMvc;

/** The container's own errors (a read timed out in Tomcat, a body too large for it) become problems too. */
@WebMvcTest(controllers = ProblemErrorController.class,
        excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX, pattern = "dev\\.alexnet\\.service\\.api\\.http\\..*"))
class ProblemErrorControllerTest {

    @Autowired
    private MockMvc mvc;

    @Test
    void containerErrorsAreProblemsOfTheirType() throws Exception {
        mvc.perform(get("/error").requestAttr(RequestDispatcher.ERROR_STATUS_CODE, 408)
                        .requestAttr(RequestDispatcher.ERROR_REQUEST_URI, "/classify"))
                .andExpect(status().isRequestTimeout())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.type").value("urn:alexnet:problem:upload-too-slow"))
                .andExpect(jsonPath("$.instance").value("/classify"));
        mvc.perform(get("/error").requestAttr(RequestDispatcher.ERROR_STATUS_CODE, 413))
                .andExpect(status().isContentTooLarge())
                .andExpect(jsonPath("$.type").value("urn:alexnet:problem:upload-too-large"));
        mvc.perform(get("/error").requestAttr(RequestDispatcher.ERROR_STATUS_CODE, 500))
                .andExpect(status().isInternalServerError())
                .andExpect(jsonPath("$.detail").value("the server could not complete the request"));
        mvc.perform(get("/error").requestAttr(RequestDispatcher.ERROR_STATUS_CODE, 400))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.type").value("urn:alexnet:problem:malformed-request"));
    }
}
