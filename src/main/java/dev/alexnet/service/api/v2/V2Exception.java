package dev.alexnet.service.api.v2;

import org.springframework.http.HttpStatus;

/** A v2 protocol error: answered as {@code {"error": "..."}}. */
class V2Exception extends RuntimeException {

    private final HttpStatus status;

    V2Exception(String message) {
        this(HttpStatus.BAD_REQUEST, message);
    }

    V2Exception(HttpStatus status, String message) {
        super(message);
        this.status = status;
    }

    HttpStatus status() {
        return status;
    }
}
