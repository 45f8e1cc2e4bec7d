package dev.alexnet.service.model.weights;

import dev.alexnet.service.model.AlexNetArchitecture;
import java.util.Arrays;

/** A dense float32 array in row-major order, as stored in a weights file. */
public record Tensor(long[] shape, float[] data) {

    public Tensor {
        if (AlexNetArchitecture.product(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
        }
    }

    /** The number of elements. */
    public int size() {
        return data.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
