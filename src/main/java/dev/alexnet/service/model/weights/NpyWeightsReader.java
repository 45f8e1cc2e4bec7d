package dev.alexnet.service.model.weights;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.network.AlexNet;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code bvlc_alexnet.npy}: an NPY file holding a 0-d object array whose payload is a
 * pickled dict {@code {"conv1": [W, b], ...}}. Accepts the original Python 2 dialect (protocol 2,
 * {@code BINSTRING} data) and re-saves by Python 3 numpy 1 and 2 (protocols 2 to 5). The pickle is
 * interpreted by razorvine's {@link Unpickler}; this class only supplies constructors for the
 * numpy globals and keeps raw array bytes out of the unpickler's memo.
 * <p>
 * Over 300 lines on purpose: a pickle reader is one state machine over one opcode table, and
 * splitting the opcodes from the stack they act on would make each half unreadable alone.
 */
public final class NpyWeightsReader {

    private static final Logger log = LoggerFactory.getLogger(NpyWeightsReader.class);
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    static {
        IObjectConstructor reconstruct = args -> new PickledArray();
        IObjectConstructor frombuffer = PickledArray::fromBuffer;
        IObjectConstructor dtype = PickledDtype::new;
        for (String core : List.of("numpy.core", "numpy._core")) {
            Unpickler.registerConstructor(core + ".multiarray", "_reconstruct", reconstruct);
            Unpickler.registerConstructor(core + ".numeric", "_frombuffer", frombuffer);
        }
        Unpickler.registerConstructor("numpy", "dtype", dtype);
    }

    /** Reads and validates a weights file; the source records its file name and SHA-256. */
    public AlexNetWeights read(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new WeightsFormatException(file, "no such file");
        } catch (IOException e) {
            throw new WeightsFormatException(file, "cannot be read: " + e.getMessage(), e);
        }
        if (Files.isDirectory(file)) {
            throw new WeightsFormatException(file, "is a directory, not an NPY file");
        }
        MessageDigest sha256 = sha256();
        Object root;
        CountingInputStream counted;
        try (InputStream raw = Files.newInputStream(file)) {
            counted = new CountingInputStream(new DigestInputStream(new BufferedInputStream(raw, 1 << 20), sha256));
            readHeader(file, counted);
            try {
                root = new ArrayKeepingUnpickler().load(counted);
            } catch (EOFException e) {
                throw truncated(file, counted, size);
            } catch (IOException | RuntimeException e) {
                // Any failure inside the unpickler (a malformed opcode stream can empty its stack,
                // mistype a value, ...) means the payload is not a weights dict.
                if (counted.count >= size) {
                    throw truncated(file, counted, size);
                }
                throw new WeightsFormatException(file, "the pickled payload is not a bvlc weights dict: " + e.getMessage(), e);
            }
            counted.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new WeightsFormatException(file, "cannot be read: " + e.getMessage(), e);
        }
        String digest = HexFormat.of().formatHex(sha256.digest());
        try {
            return toWeights(file, root, WeightsSource.file(file.getFileName().toString(), digest));
        } catch (WeightsFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new WeightsFormatException(file, "the pickled payload is not a bvlc weights dict: " + e, e);
        }
    }

    private static WeightsFormatException truncated(Path file, CountingInputStream in, long size) {
        return new WeightsFormatException(file, "truncated: the pickle ends early, after " + in.count + " of " + size
                + " bytes (an interrupted download? the full bvlc_alexnet.npy is 243,861,814 bytes)");
    }

    private static void readHeader(Path file, InputStream in) throws IOException {
        byte[] magic = in.readNBytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new WeightsFormatException(file, "not an NPY file (it does not start with \\x93NUMPY)");
        }
        int major = in.read();
        int minor = in.read();
        if (major < 0 || minor < 0) {
            throw new WeightsFormatException(file, "truncated: the NPY header ends early");
        }
        int headerLength;
        if (major == 1) {
            byte[] len = in.readNBytes(2);
            if (len.length < 2) {
                throw new WeightsFormatException(file, "truncated: the NPY header ends early");
            }
            headerLength = (len[0] & 0xff) | (len[1] & 0xff) << 8;
        } else if (major == 2 || major == 3) {
            byte[] len = in.readNBytes(4);
            if (len.length < 4) {
                throw new WeightsFormatException(file, "truncated: the NPY header ends early");
            }
            headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (headerLength < 0 || headerLength > (1 << 20)) {
                throw new WeightsFormatException(file, "NPY header length " + headerLength + " is not plausible");
            }
        } else {
            throw new WeightsFormatException(file, "unsupported NPY format version " + major + "." + minor);
        }
        byte[] headerBytes = in.readNBytes(headerLength);
        if (headerBytes.length < headerLength) {
            throw new WeightsFormatException(file, "truncated: the NPY header ends early");
        }
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher shape = SHAPE.matcher(header);
        if (!descr.find() || !shape.find()) {
            throw new WeightsFormatException(file, "the NPY header has no descr or shape: " + header.trim());
        }
        if (!descr.group(1).equals("|O") || !shape.group(1).isBlank()) {
            throw new WeightsFormatException(file, "an NPY array of dtype '" + descr.group(1) + "' and shape ("
                    + shape.group(1) + "); expected the bvlc format, a 0-d object array ('|O', shape ()) holding a pickled dict");
        }
    }

    private static AlexNetWeights toWeights(Path file, Object pickled, WeightsSource source) {
        // np.save(path, dict) pickles a 0-d object array whose single element is the dict.
        Object root = pickled instanceof PickledArray array && array.objects != null && array.objects.size() == 1
                ? array.objects.get(0) : pickled;
        if (!(root instanceof Map<?, ?> dict)) {
            throw new WeightsFormatException(file, "the pickled payload is a " + typeName(root) + ", expected a dict of layers");
        }
        Map<String, PickledArray[]> arrays = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            String name = keyName(e.getKey());
            if (!AlexNetArchitecture.LAYERS.contains(name)) {
                log.warn("Weights file {}: ignoring unknown layer '{}'", file, name);
                continue;
            }
            arrays.put(name, pair(file, name, e.getValue()));
        }
        for (String name : AlexNetArchitecture.LAYERS) {
            if (!arrays.containsKey(name)) {
                throw new WeightsFormatException(file, "layer " + name + " is missing (the file has "
                        + dict.keySet().stream().map(NpyWeightsReader::keyName).toList() + "; expected " + AlexNetArchitecture.LAYERS + ")");
            }
        }
        Map<String, Integer> outputs = new LinkedHashMap<>();
        for (Map.Entry<String, PickledArray[]> e : arrays.entrySet()) {
            long[] shape = e.getValue()[0].shape;
            if (shape.length == 0) {
                throw new WeightsFormatException(file, "layer " + e.getKey() + " weights are a scalar");
            }
            outputs.put(e.getKey(), Math.toIntExact(shape[shape.length - 1]));
        }
        AlexNetArchitecture architecture;
        try {
            architecture = AlexNetArchitecture.fromOutputWidths(outputs);
        } catch (IllegalArgumentException e) {
            throw new WeightsFormatException(file, "layer widths " + outputs + " do not form an AlexNet: " + e.getMessage());
        }
        Map<String, LayerWeights> layers = new LinkedHashMap<>();
        for (Map.Entry<String, long[][]> e : architecture.bvlcShapes().entrySet()) {
            String name = e.getKey();
            PickledArray[] pair = arrays.get(name);
            Tensor w = tensor(file, name, "weights", pair[0], e.getValue()[0]);
            Tensor b = tensor(file, name, "bias", pair[1], e.getValue()[1]);
            layers.put(name, new LayerWeights(name, w, b));
        }
        return new AlexNetWeights(architecture, layers, source);
    }

    private static PickledArray[] pair(Path file, String name, Object value) {
        List<?> items;
        if (value instanceof List<?> list) {
            items = list;
        } else if (value instanceof Object[] tuple) {
            items = Arrays.asList(tuple);
        } else {
            throw new WeightsFormatException(file, "layer " + name + " is a " + typeName(value) + ", expected a list [weights, bias]");
        }
        if (items.size() != 2) {
            throw new WeightsFormatException(file, "layer " + name + " has " + items.size() + " arrays, expected 2 [weights, bias]");
        }
        PickledArray[] pair = new PickledArray[2];
        for (int i = 0; i < 2; i++) {
            if (!(items.get(i) instanceof PickledArray array) || array.shape == null) {
                throw new WeightsFormatException(file, "layer " + name + " " + (i == 0 ? "weights are" : "bias is")
                        + " a " + typeName(items.get(i)) + ", expected a numpy array");
            }
            pair[i] = array;
        }
        return pair;
    }

    private static Tensor tensor(Path file, String layer, String part, PickledArray array, long[] expected) {
        if (!array.isFloat32()) {
            throw new WeightsFormatException(file, "layer " + layer + " " + part + " have dtype '" + array.dtype.descr()
                    + "'; expected little-endian float32 '<f4'");
        }
        if (!Arrays.equals(array.shape, expected)) {
            throw new WeightsFormatException(file, "layer " + layer + " " + part + " have shape " + Arrays.toString(array.shape)
                    + "; expected " + Arrays.toString(expected));
        }
        return new Tensor(expected, array.data);
    }

    private static String keyName(Object key) {
        if (key instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        if (key instanceof RawBytes raw) {
            return new String(raw.bytes, StandardCharsets.ISO_8859_1);
        }
        return String.valueOf(key);
    }

    private static String typeName(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Object[]) {
            return "tuple";
        }
        return value.getClass().getSimpleName();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Raw bytes of a Python 2 {@code str} or a Python 3 {@code bytes}. The unpickler memoises it;
     * the array that consumes it clears it, so the file's data is not held twice.
     */
    static final class RawBytes {
        byte[] bytes;

        RawBytes(byte[] bytes) {
            this.bytes = bytes;
        }

        byte[] take() {
            byte[] b = bytes;
            bytes = null;
            if (b == null) {
                throw new IllegalStateException("the same array data is referenced twice");
            }
            return b;
        }
    }

    /** razorvine's unpickler, reading the opcodes that carry array data into {@link RawBytes}. */
    private static final class ArrayKeepingUnpickler extends Unpickler {
        @Override
        protected Object dispatch(short key) throws IOException {
            switch (key) {
                case Opcodes.BINSTRING, Opcodes.BINBYTES -> {
                    int length = PickleUtils.bytes_to_integer(PickleUtils.readbytes(input, 4));
                    stack.add(new RawBytes(readExactly(length)));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> {
                    long length = PickleUtils.bytes_to_long(PickleUtils.readbytes(input, 8), 0);
                    if (length > Integer.MAX_VALUE - 16) {
                        throw new PickleException("a " + length + "-byte string is larger than any AlexNet layer");
                    }
                    stack.add(new RawBytes(readExactly((int) length)));
                    return NO_RETURN_VALUE;
                }
                default -> {
                    return super.dispatch(key);
                }
            }
        }

        private byte[] readExactly(int length) throws IOException {
            if (length < 0) {
                throw new PickleException("negative string length " + length);
            }
            byte[] data = input.readNBytes(length);
            if (data.length < length) {
                throw new EOFException("string of " + length + " bytes ends after " + data.length);
            }
            return data;
        }
    }

    /** numpy's {@code dtype(descr, align, copy)} and its pickled state. */
    public static final class PickledDtype {
        private final String code;
        private String byteOrder = "=";

        PickledDtype(Object[] args) {
            this.code = args.length > 0 ? keyName(args[0]) : "?";
        }

        /** Called by the unpickler's BUILD with {@code (version, byteorder, subarray, names, fields, elsize, alignment, flags)}. */
        public void __setstate__(Object[] state) {
            if (state.length > 1 && state[1] != null) {
                byteOrder = keyName(state[1]);
            }
        }

        String descr() {
            return (byteOrder.equals("=") ? "<" : byteOrder) + code;
        }

        boolean isObject() {
            return code.startsWith("O");
        }

        boolean isLittleEndianFloat32() {
            boolean float32 = code.equals("f4") || code.equals("float32");
            return float32 && (byteOrder.equals("<") || (byteOrder.equals("=") && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN));
        }
    }

    /** A numpy array being rebuilt from {@code _reconstruct} + BUILD, or from {@code _frombuffer}. */
    public static final class PickledArray {
        long[] shape;
        PickledDtype dtype;
        float[] data;
        List<?> objects;

        static PickledArray fromBuffer(Object[] args) {
            // _frombuffer(buffer, dtype, shape, order)
            PickledArray array = new PickledArray();
            array.fill(longs(args[2]), (PickledDtype) args[1], "F".equals(keyName(args[3])), args[0]);
            return array;
        }

        /** Called by BUILD with {@code (version, shape, dtype, is_fortran, raw_data)}, or without the version. */
        public void __setstate__(Object[] state) {
            int o = state.length == 5 ? 1 : 0;
            if (state.length - o != 4) {
                throw new IllegalStateException("ndarray state has " + state.length + " items");
            }
            fill(longs(state[o]), (PickledDtype) state[o + 1], Boolean.TRUE.equals(state[o + 2]), state[o + 3]);
        }

        private void fill(long[] arrayShape, PickledDtype arrayDtype, boolean fortran, Object raw) {
            this.shape = arrayShape;
            this.dtype = arrayDtype;
            if (arrayDtype.isObject()) {
                if (!(raw instanceof List<?> list)) {
                    throw new IllegalStateException("object array data is a " + typeName(raw));
                }
                this.objects = list;
                return;
            }
            byte[] bytes;
            if (raw instanceof RawBytes r) {
                bytes = r.take();
            } else if (raw instanceof String s) {
                bytes = s.getBytes(StandardCharsets.ISO_8859_1);
            } else if (raw instanceof byte[] b) {
                bytes = b;
            } else {
                throw new IllegalStateException("array data is a " + typeName(raw));
            }
            if (!arrayDtype.isLittleEndianFloat32()) {
                return;
            }
            long count = AlexNetArchitecture.product(arrayShape);
            if (count * 4 != bytes.length) {
                throw new IllegalStateException("array of shape " + Arrays.toString(arrayShape) + " has " + bytes.length + " data bytes");
            }
            float[] values = new float[(int) count];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            this.data = fortran ? fortranToC(values, arrayShape) : values;
        }

        boolean isFloat32() {
            return dtype != null && dtype.isLittleEndianFloat32() && data != null;
        }

        private static long[] longs(Object tuple) {
            Object[] items = tuple instanceof Object[] t ? t : ((List<?>) tuple).toArray();
            long[] result = new long[items.length];
            for (int i = 0; i < items.length; i++) {
                result[i] = ((Number) items[i]).longValue();
            }
            return result;
        }

        private static float[] fortranToC(float[] values, long[] shape) {
            int rank = shape.length;
            float[] out = new float[values.length];
            int[] index = new int[rank];
            long[] fStrides = new long[rank];
            long stride = 1;
            for (int d = 0; d < rank; d++) {
                fStrides[d] = stride;
                stride *= shape[d];
            }
            for (int i = 0; i < out.length; i++) {
                long offset = 0;
                for (int d = 0; d < rank; d++) {
                    offset += index[d] * fStrides[d];
                }
                out[i] = values[(int) offset];
                for (int d = rank - 1; d >= 0; d--) {
                    if (++index[d] < shape[d]) {
                        break;
                    }
                    index[d] = 0;
                }
            }
            return out;
        }
    }

    private static final class CountingInputStream extends InputStream {
        private final InputStream in;
        long count;

        CountingInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

}
