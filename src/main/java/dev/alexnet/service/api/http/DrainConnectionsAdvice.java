package dev.alexnet.service.api.http;

import dev.alexnet.service.engine.Batcher;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyAdvice;

/**
 * While the service drains before it stops, every answer closes its connection, so that no client
 * sends its next request on a kept-alive connection that the stopping server will no longer read.
 */
@RestControllerAdvice
class DrainConnectionsAdvice implements ResponseBodyAdvice<Object> {

    private final Batcher batcher;

    DrainConnectionsAdvice(Batcher batcher) {
        this.batcher = batcher;
    }

    @Override
    public boolean supports(MethodParameter returnType, Class<? extends HttpMessageConverter<?>> converterType) {
        return true;
    }

    @Override
    public Object beforeBodyWrite(Object body, MethodParameter returnType, MediaType contentType,
                                  Class<? extends HttpMessageConverter<?>> converterType, ServerHttpRequest request,
                                  ServerHttpResponse response) {
        if (!batcher.isAccepting()) {
            response.getHeaders().set(HttpHeaders.CONNECTION, "close");
        }
        return body;
    }
}
