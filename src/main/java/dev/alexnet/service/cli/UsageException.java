package dev.alexnet.service.cli;

/** A bad command line: the launcher prints the message and the usage, and exits with status 2. */
public class UsageException extends RuntimeException {

    public UsageException(String message) {
        super(message);
    }
}
