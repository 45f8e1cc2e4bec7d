package dev.alexnet.service.model.weights;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes weights as {@code bvlc_alexnet.npy} was written by Python 2 numpy: an NPY v1.0 file with
 * a 0-d object array, whose payload is a protocol 2 pickle of {@code {"conv1": [W, b], ...}} with
 * keys and raw array data as Python 2 {@code str} ({@code SHORT_BINSTRING}/{@code BINSTRING}),
 * arrays rebuilt through {@code numpy.core.multiarray._reconstruct}. Files appear atomically.
 */
public final class NpyWeightsWriter {

    private static final int PUT_RECONSTRUCT = 0;
    private static final int PUT_NDARRAY = 1;
    private static final int PUT_DTYPE = 2;

    /** Writes the weights to {@code file}, replacing it only once the whole file is written. */
    public void write(AlexNetWeights weights, Path file) throws IOException {
        writeUnchecked(List.copyOf(weights.layers().values()), file);
    }

    /** Writes any list of layers in the same dialect, unvalidated: tests use it to make bad files. */
    void writeUnchecked(List<LayerWeights> layers, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempFile(parent, file.getFileName().toString(), ".partial");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 20)) {
                writeHeader(out);
                writePickle(layers, out);
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void writeHeader(OutputStream out) throws IOException {
        String dict = "{'descr': '|O', 'fortran_order': False, 'shape': (), }";
        int unpadded = 6 + 2 + 2 + dict.length() + 1;
        int padding = (16 - unpadded % 16) % 16;
        String header = dict + " ".repeat(padding) + "\n";
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xff);
        out.write(header.length() >>> 8);
        out.write(header.getBytes(StandardCharsets.US_ASCII));
    }

    /** np.save(path, dict) pickles {@code array(dict, dtype=object)}: a 0-d object array holding the dict. */
    private static void writePickle(List<LayerWeights> layers, OutputStream out) throws IOException {
        out.write(new byte[] {(byte) 0x80, 2});
        out.write("cnumpy.core.multiarray\n_reconstruct\n".getBytes(StandardCharsets.US_ASCII));
        put(out, PUT_RECONSTRUCT);
        out.write("cnumpy\nndarray\n".getBytes(StandardCharsets.US_ASCII));
        put(out, PUT_NDARRAY);
        reconstructArguments(out);
        out.write('(');
        writeInt(out, 1);
        out.write(')');                        // shape ()
        out.write("cnumpy\ndtype\n".getBytes(StandardCharsets.US_ASCII));
        put(out, PUT_DTYPE);
        dtypeArguments(out, "O8", '|', 63);
        out.write(0x89);                       // NEWFALSE: C order
        out.write(']');                        // the object array's one element:
        out.write('(');
        out.write('}');
        out.write('(');
        for (LayerWeights layer : layers) {
            writeStr(out, layer.name().getBytes(StandardCharsets.US_ASCII));
            out.write(']');
            out.write('(');
            writeArray(out, layer.weights());
            writeArray(out, layer.bias());
            out.write('e');
        }
        out.write('u');
        out.write('e');
        out.write('t');
        out.write('b');                        // ndarray state (1, (), dtype('O8'), False, [dict])
        out.write('.');
    }

    private static void reconstructCall(OutputStream out) throws IOException {
        get(out, PUT_RECONSTRUCT);
        get(out, PUT_NDARRAY);
        reconstructArguments(out);
    }

    private static void reconstructArguments(OutputStream out) throws IOException {
        writeInt(out, 0);
        out.write(0x85);                       // TUPLE1: (0,)
        writeStr(out, new byte[] {'b'});
        out.write(0x87);                       // TUPLE3
        out.write('R');                        // _reconstruct(ndarray, (0,), 'b')
    }

    private static void writeDtype(OutputStream out, String code, char byteOrder, int flags) throws IOException {
        get(out, PUT_DTYPE);
        dtypeArguments(out, code, byteOrder, flags);
    }

    private static void dtypeArguments(OutputStream out, String code, char byteOrder, int flags) throws IOException {
        writeStr(out, code.getBytes(StandardCharsets.US_ASCII));
        writeInt(out, 0);
        writeInt(out, 1);
        out.write(0x87);
        out.write('R');                        // dtype(code, 0, 1)
        out.write('(');
        writeInt(out, 3);
        writeStr(out, new byte[] {(byte) byteOrder});
        out.write('N');
        out.write('N');
        out.write('N');
        writeInt(out, -1);
        writeInt(out, -1);
        writeInt(out, flags);
        out.write('t');
        out.write('b');                        // dtype state (3, byteorder, None, None, None, -1, -1, flags)
    }

    private static void writeArray(OutputStream out, Tensor tensor) throws IOException {
        reconstructCall(out);
        out.write('(');
        writeInt(out, 1);                      // state version
        out.write('(');
        for (long d : tensor.shape()) {
            writeInt(out, Math.toIntExact(d));
        }
        out.write('t');
        writeDtype(out, "f4", '<', 0);
        out.write(0x89);                       // NEWFALSE: C order
        writeData(out, tensor.data());
        out.write('t');
        out.write('b');                        // ndarray state (1, shape, dtype, False, raw)
    }

    private static void writeData(OutputStream out, float[] data) throws IOException {
        long length = (long) data.length * 4;
        if (length < 256) {
            out.write('U');
            out.write((int) length);
        } else {
            out.write('T');
            writeLe32(out, Math.toIntExact(length));
        }
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < data.length; ) {
            chunk.clear();
            int n = Math.min(data.length - i, chunk.capacity() / 4);
            chunk.asFloatBuffer().put(data, i, n);
            out.write(chunk.array(), 0, n * 4);
            i += n;
        }
    }

    private static void writeStr(OutputStream out, byte[] value) throws IOException {
        if (value.length < 256) {
            out.write('U');
            out.write(value.length);
        } else {
            out.write('T');
            writeLe32(out, value.length);
        }
        out.write(value);
    }

    private static void writeInt(OutputStream out, int value) throws IOException {
        if (value >= 0 && value < 256) {
            out.write('K');
            out.write(value);
        } else if (value >= 0 && value < 65536) {
            out.write('M');
            out.write(value & 0xff);
            out.write(value >>> 8);
        } else {
            out.write('J');
            writeLe32(out, value);
        }
    }

    private static void put(OutputStream out, int index) throws IOException {
        out.write('q');
        out.write(index);
    }

    private static void get(OutputStream out, int index) throws IOException {
        out.write('h');
        out.write(index);
    }

    private static void writeLe32(OutputStream out, int value) throws IOException {
        out.write(value & 0xff);
        out.write(value >>> 8 & 0xff);
        out.write(value >>> 16 & 0xff);
        out.write(value >>> 24 & 0xff);
    }
}
