package dev.alexnet.service.classify;

/** One uploaded image: its client-side file name (or null) and its bytes. */
public record Upload(String filename, byte[] bytes) {
}
