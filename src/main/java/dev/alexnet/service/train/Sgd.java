package dev.alexnet.service.train;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.alexnet.service.model.network.TrainableAlexNet;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The paper's update rule: v = momentum * v - lr * (g + weightDecay * w), then w = w + v. Weight
 * decay applies to weights, not biases (as Caffe's reference AlexNet sets it). Velocities live
 * off-heap outside any workspace, one per trainable parameter.
 */
public final class Sgd implements TrainableAlexNet.Update {

    private final double momentum;
    private final double weightDecay;
    private final Map<String, INDArray> velocities = new LinkedHashMap<>();
    private double learningRate;

    public Sgd(double learningRate, double momentum, double weightDecay) {
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    public double learningRate() {
        return learningRate;
    }

    public void learningRate(double value) {
        this.learningRate = value;
    }

    /** The velocities by parameter name; absent for parameters never updated. */
    public Map<String, INDArray> velocities() {
        return velocities;
    }

    /** Restores velocities saved with a checkpoint. */
    public void restore(Map<String, INDArray> saved) {
        velocities.clear();
        velocities.putAll(saved);
    }

    @Override
    public void apply(String name, INDArray parameter, INDArray gradient) {
        INDArray v = velocities.get(name);
        if (v == null) {
            try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                v = Nd4j.zeros(parameter.dataType(), parameter.shape());
            }
            velocities.put(name, v);
        }
        // In place (axpy), so that no parameter-sized temporaries pile up in the step's workspace: fc6 alone is 151 MB.
        v.muli(momentum);
        if (weightDecay > 0 && !TrainableAlexNet.isBias(name)) {
            Nd4j.getBlasWrapper().level1().axpy(v.length(), -learningRate * weightDecay, parameter, v);
        }
        Nd4j.getBlasWrapper().level1().axpy(v.length(), -learningRate, gradient.reshape(parameter.shape()), v);
        parameter.addi(v);
    }
}
