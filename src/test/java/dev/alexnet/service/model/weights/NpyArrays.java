package dev.alexnet.service.model.weights;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the plain float NPY fixtures ('<f4' or '<f8', C order) that tools/make_reference_fixtures.py wrote. */
public final class NpyArrays {

    public record Array(long[] shape, float[] data) {
    }

    private NpyArrays() {
    }

    /** A committed fixture under {@code /fixtures}, as a file. */
    public static Path fixture(String name) throws URISyntaxException {
        return Path.of(NpyArrays.class.getResource("/fixtures/" + name).toURI());
    }

    public static Array read(String resource) throws IOException {
        try (InputStream in = NpyArrays.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no test resource " + resource);
            }
            byte[] bytes = in.readAllBytes();
            int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
            String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
            Matcher descr = Pattern.compile("'descr': '([^']*)'").matcher(header);
            Matcher shape = Pattern.compile("'shape': \\(([^)]*)\\)").matcher(header);
            if (!descr.find() || !shape.find() || header.contains("'fortran_order': True")) {
                throw new IOException("unsupported NPY header " + header);
            }
            long[] dims = Arrays.stream(shape.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .mapToLong(Long::parseLong).toArray();
            ByteBuffer data = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength)
                    .order(ByteOrder.LITTLE_ENDIAN);
            int count = (int) Arrays.stream(dims).reduce(1, (a, b) -> a * b);
            float[] values = new float[count];
            switch (descr.group(1)) {
                case "<f4" -> data.asFloatBuffer().get(values);
                case "<f8" -> {
                    for (int i = 0; i < count; i++) {
                        values[i] = (float) data.getDouble();
                    }
                }
                default -> throw new IOException("unsupported dtype " + descr.group(1));
            }
            return new Array(dims, values);
        }
    }
}
