package dev.alexnet.service.model.network;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.Precision;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.LayerTable;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.LayerWeights;
import dev.alexnet.service.model.weights.WeightsSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.inner_product_forward;
import org.bytedeco.dnnl.lrn_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * AlexNet's inference pass on oneDNN's own primitives, the way ONNX Runtime and PyTorch drive
 * their kernels: every convolution and dense layer is a primitive created once per batch size,
 * its weights re-blocked once into the layout that primitive wants, ReLU fused into it as a
 * post-op, and activations kept in oneDNN's blocked layouts from conv1 to pool5, grouped
 * convolutions included (no split, no concat); the dense layers run as 1x1 convolutions (see
 * {@code Builder.dense}), and at batch 1 on the inner product's gemv where the engine measured it
 * faster ({@link #keepBatchOnePath}). The ND4J pass ({@link AlexNet}) reaches the same
 * oneDNN kernels through libnd4j, which re-blocks every kernel on every call and reorders the
 * activations around each op; on the AVX2 EPYC those reorders and copies were 4.5 of its 39 ms at
 * batch 1 (docs/benchmarks.md).
 *
 * <p>The same numbers as {@link AlexNet} (tests compare the two on the same weights, and this one
 * with PyTorch's float64 outputs). Inference only: training stays on ND4J. Passes are serialised (one
 * stream, one pair of activation buffers); the engine runs one pass at a time anyway.
 */
public final class DnnlAlexNet implements ServingNetwork {

    private static final int SIDE = AlexNetArchitecture.INPUT_SIZE;
    private static final long[] POOL_KERNEL = {3, 3};
    private static final long[] POOL_STRIDE = {2, 2};
    private static final long[] NO_PAD = {0, 0};

    private final AlexNetArchitecture architecture;
    private final WeightsSource source;
    private final Precision precision;
    /** What the convolutions and dense layers read and write: f32, or bf16 ({@link Precision#BF16}). */
    private final memory.data_type compute;
    private final engine cpu;
    private final stream stream;
    /** Each layer's weights and bias as the file has them (HWIO kernels, [in, out] dense weights) until re-blocked. */
    private final Map<String, memory> plainWeights = new LinkedHashMap<>();
    private final Map<String, memory> biases = new LinkedHashMap<>();
    /** Each layer's weights as oneDNN dims them, whatever layout they are held in. */
    private final Map<String, memory.desc> weightShapes = new LinkedHashMap<>();
    /** Each layer's weights in the layouts primitives asked for: one copy per distinct layout. */
    private final Map<String, List<memory>> blockedWeights = new HashMap<>();
    /** The copies that plans of the batches' path (1x1 convolutions) have bound: never freed. */
    private final Set<memory> batchedWeights = new HashSet<>();
    private final Map<PlanKey, Plan> plans = new HashMap<>();
    private final List<Pointer> owned = new ArrayList<>();
    private Arena arena = Arena.EMPTY;
    private boolean closed;
    /** Batch-1 dense layers on the inner product (oneDNN's gemv) rather than the batches' 1x1 convolutions. */
    private boolean gemvAtBatchOne;
    /** The inner-product path and its weights were freed ({@link #keepBatchOnePath}). */
    private boolean gemvDropped;

    /** Which pass a plan runs: n images, dense layers on the inner product (n = 1 only) or as 1x1 convolutions. */
    private record PlanKey(int n, boolean gemv) {
    }

    /** The steps of a pass over n images, with the memories they read and write. */
    private record Plan(List<primitive> steps, List<IntMemoryMap> args, FloatPointer input, FloatPointer fc7,
                        FloatPointer logits, List<Pointer> created, String layouts) {
        void close() {
            closeAll(created);
        }
    }

    /** Frees native objects in the reverse of their creation order (memories before the engine they live on). */
    private static void closeAll(List<Pointer> pointers) {
        for (int i = pointers.size() - 1; i >= 0; i--) {
            pointers.get(i).close();
        }
    }

    /**
     * The buffers every plan shares, each sized to the largest plan so far: two for the activations
     * that the steps of a pass write in turn, one scratchpad that every primitive borrows while it
     * runs, and the pass's input, features (fc7) and logits. Nothing a plan reads or writes is its
     * own: when a plan held its own input, 0.6 MB per image, the 32 plans of a service's batch sizes
     * took 300 MB more than one would. The scratchpad is the network's own
     * ({@code scratchpad_mode.user}): oneDNN's default keeps one per thread, found through the thread
     * that created the primitive, and the engine creates on one thread and runs on another (a reduced
     * network's gemm convolutions crashed the JVM that way).
     */
    private record Arena(long[] bytes, memory[] buffers) {
        static final int SCRATCHPAD = 2;
        static final int INPUT = 3;
        static final int FEATURES = 4;
        static final int LOGITS = 5;
        static final int COUNT = 6;
        static final Arena EMPTY = new Arena(new long[COUNT], new memory[0]);

        /** An arena that holds both this one's needs and {@code needs}, or this one if it already does. */
        Arena holding(long[] needs, engine cpu) {
            long[] sizes = bytes.clone();
            boolean grows = false;
            for (int i = 0; i < COUNT; i++) {
                grows |= needs[i] > sizes[i];
                sizes[i] = Math.max(sizes[i], Math.max(1, needs[i]));
            }
            if (!grows) {
                return this;
            }
            memory[] grown = new memory[COUNT];
            for (int i = 0; i < COUNT; i++) {
                grown[i] = buffer(cpu, sizes[i]);
            }
            return new Arena(sizes, grown);
        }

        /** Where buffer i starts. */
        Pointer handle(int i) {
            return buffers[i].get_data_handle();
        }

        void close() {
            for (memory m : buffers) {
                m.close();
            }
        }
    }

    public DnnlAlexNet(AlexNetWeights weights) {
        this(weights, Precision.FP32);
    }

    /**
     * @throws UnsupportedOperationException for {@link Precision#BF16} on a CPU without bfloat16
     *         instructions, where oneDNN 2.5 has no bf16 kernels (AVX2) or emulates them (AVX-512
     *         without BF16), slower than fp32
     */
    public DnnlAlexNet(AlexNetWeights weights, Precision precision) {
        if (precision == Precision.BF16 && !hasBf16Instructions()) {
            throw new UnsupportedOperationException("alexnet.precision=bf16 needs a CPU with AVX512_BF16 or AMX; "
                    + "oneDNN finds " + dnnl.get_effective_cpu_isa() + " here");
        }
        this.architecture = weights.architecture();
        this.source = weights.source();
        this.precision = precision;
        this.compute = precision == Precision.BF16 ? memory.data_type.bf16 : memory.data_type.f32;
        this.cpu = keep(new engine(engine.kind.cpu, 0));
        this.stream = keep(new stream(cpu));
        for (LayerTable.Layer layer : LayerTable.LAYERS) {
            LayerWeights w = weights.layer(layer.name());
            memory.desc plain = keep(plainWeightsDesc(layer, w));
            weightShapes.put(layer.name(), plain);
            plainWeights.put(layer.name(), filled(plain, w.weights().data()));
            biases.put(layer.name(), keep(filled(desc(new long[] {w.bias().size()}, memory.format_tag.x), w.bias().data())));
        }
    }

    @Override
    public AlexNetArchitecture architecture() {
        return architecture;
    }

    @Override
    public String passName() {
        return "onednn";
    }

    @Override
    public WeightsSource source() {
        return source;
    }

    @Override
    public Precision precision() {
        return precision;
    }

    /** Whether oneDNN finds bfloat16 instructions on this CPU (AVX512_BF16, or AMX which implies them). */
    public static boolean hasBf16Instructions() {
        int bf16 = dnnl.dnnl_cpu_isa_avx512_core_bf16;
        return (dnnl.get_effective_cpu_isa().value & bf16) == bf16;
    }

    /** oneDNN's version and the instruction set its kernels were generated for on this CPU. */
    public static String runtime() {
        var v = dnnl.version();
        return "oneDNN " + v.major() + "." + v.minor() + "." + v.patch() + ", " + dnnl.get_effective_cpu_isa();
    }

    /**
     * Builds the plan of every batch size up to {@code maxBatch}, the largest first so that the
     * arena is sized once: 32 plans took 172 ms at start-up on an AVX2 EPYC. Unprepared, a plan is
     * built by the first pass at its size, on a request's time, and its 0.7 MB of primitives and
     * JIT code shows as growth in service.
     */
    @Override
    public synchronized void prepare(int maxBatch) {
        if (closed) {
            throw new IllegalStateException("the network is closed");
        }
        List<PlanKey> keys = new ArrayList<>();
        for (int n = maxBatch; n >= 1; n--) {
            keys.add(new PlanKey(n, false));
        }
        if (!gemvDropped) {
            keys.add(1, new PlanKey(1, true));
        }
        // A plan that needs more of some buffer than those before it (the inner product's gemm may
        // want a scratchpad) grows the arena, which drops the plans built so far: the second round
        // rebuilds them on the grown arena, which then holds every plan's needs.
        for (int round = 0; round < 2 && !plans.keySet().containsAll(keys); round++) {
            for (PlanKey key : keys) {
                plan(key);
            }
        }
    }

    /** How many plans are built (for the tests). */
    synchronized int plansBuilt() {
        return plans.size();
    }

    /** Which layouts the pass over n images uses, conv1's input to fc6's weights (for the log and the tests). */
    public synchronized String layouts(int n) {
        return plan(key(n)).layouts();
    }

    @Override
    public DensePaths densePaths() {
        return DENSE_PATHS;
    }

    /** The inner product's gemv streams fc6 in 6.4 ms, the 1x1 convolution in 10 (AVX2 EPYC); the engine measures which wins here. */
    private static final DensePaths DENSE_PATHS = new DensePaths("inner product", "1x1 convolution", false);

    @Override
    public synchronized void useGemvAtBatchOne(boolean gemv) {
        if (gemv && gemvDropped) {
            throw new IllegalStateException("the inner-product path was freed");
        }
        gemvAtBatchOne = gemv;
    }

    @Override
    public synchronized boolean gemvAtBatchOne() {
        return gemvAtBatchOne;
    }

    /**
     * Keeps the batch-1 path chosen. The batches' 1x1 convolutions are always kept; choosing them
     * frees the inner product's plan and its copy of the dense weights in the gemv's layout (234 MB
     * of fc6 to fc8 on AVX2, where the two layouts differ).
     */
    @Override
    public synchronized void keepBatchOnePath(boolean gemv) {
        useGemvAtBatchOne(gemv);
        if (gemv || gemvDropped) {
            return;
        }
        gemvDropped = true;
        Plan plan = plans.remove(new PlanKey(1, true));
        if (plan != null) {
            plan.close();
        }
        // Whatever no batches' plan has bound was made for the inner product, whether or not its
        // plan is still built (a grown arena drops every plan); each layer keeps one copy to re-block from.
        for (List<memory> copies : blockedWeights.values()) {
            for (var it = copies.iterator(); it.hasNext(); ) {
                memory copy = it.next();
                if (!batchedWeights.contains(copy) && copies.size() > 1) {
                    it.remove();
                    owned.remove(copy);
                    copy.close();
                }
            }
        }
    }

    /** The bytes of weights held, in every layout some plan uses (and the file's until the first plan). */
    public synchronized long weightBytes() {
        long bytes = 0;
        for (memory m : plainWeights.values()) {
            bytes += m.get_desc().get_size();
        }
        for (List<memory> copies : blockedWeights.values()) {
            for (memory m : copies) {
                bytes += m.get_desc().get_size();
            }
        }
        return bytes;
    }

    private PlanKey key(int n) {
        return new PlanKey(n, n == 1 && gemvAtBatchOne);
    }

    /**
     * Runs inference on a batch.
     *
     * @param input row-major [n, 3, 227, 227]: BGR, minus the ImageNet mean, 0-255 scale
     */
    @Override
    public synchronized ForwardResult forward(float[] input, int n) {
        Layers.checkInput(input, n);
        if (closed) {
            throw new IllegalStateException("the network is closed");
        }
        Plan plan = plan(key(n));
        plan.input().put(input, 0, input.length);
        for (int i = 0; i < plan.steps().size(); i++) {
            plan.steps().get(i).execute(stream, plan.args().get(i));
        }
        stream._wait();
        int classes = architecture.classes();
        int features = architecture.fc7();
        float[] probabilities = new float[n * classes];
        float[] fc7 = new float[n * features];
        plan.logits().get(probabilities, 0, probabilities.length);
        plan.fc7().get(fc7, 0, fc7.length);
        softmaxRows(probabilities, n, classes);
        return new ForwardResult(n, classes, features, probabilities, fc7);
    }

    /** Row-wise softmax in place, in double, shifted by the row's maximum. */
    static void softmaxRows(float[] logits, int n, int classes) {
        for (int r = 0; r < n; r++) {
            int off = r * classes;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[off + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[off + c] - max);
            }
            for (int c = 0; c < classes; c++) {
                logits[off + c] = (float) (Math.exp(logits[off + c] - max) / sum);
            }
        }
    }

    private Plan plan(PlanKey key) {
        Plan plan = plans.get(key);
        if (plan == null) {
            plan = build(key);
            plans.put(key, plan);
            releasePlainWeights();
        }
        return plan;
    }

    /**
     * Builds the pass over n images: creates its primitives (oneDNN picks each layout), re-blocks
     * the weights a primitive wants in a layout not yet held, and places the activations in the
     * arena, growing it (and rebuilding the other plans onto the new buffers) if this batch needs more.
     */
    private Plan build(PlanKey key) {
        Builder b = new Builder(key.n(), key.gemv());
        try {
            b.run();
            Arena grown = arena.holding(b.needs, cpu);
            if (grown != arena) {
                for (Plan old : plans.values()) {
                    old.close();
                }
                plans.clear();
                arena.close();
                arena = grown;
            }
            return b.finish();
        } catch (RuntimeException | Error e) {
            closeAll(b.created);
            throw e;
        }
    }

    /** Walks {@link LayerTable} once to size the pass, then binds it to the arena's buffers. */
    private final class Builder {
        private final int n;
        /** Dense layers on the inner product rather than as 1x1 convolutions. */
        private final boolean gemv;
        private final List<primitive> steps = new ArrayList<>();
        private final List<Map<Integer, Object>> bindings = new ArrayList<>();
        private final StringBuilder layouts = new StringBuilder();
        private final List<Pointer> created = new ArrayList<>();
        /** The bytes this pass needs in each of the arena's buffers. */
        private final long[] needs = new long[Arena.COUNT];

        /** An activation: its descriptor and the arena buffer it lives in. */
        private record Act(memory.desc desc, int buffer) {
        }

        Builder(int n, boolean gemv) {
            this.n = n;
            this.gemv = gemv;
        }

        void run() {
            Act x = place(desc(new long[] {n, 3, SIDE, SIDE}, memory.format_tag.nchw), Arena.INPUT);
            for (LayerTable.Layer layer : LayerTable.CONVOLUTIONS) {
                x = convolution(layer, x);
                if (layer.lrn()) {
                    x = lrn(x);
                }
                if (layer.pool()) {
                    x = maxPool(x);
                }
            }
            for (LayerTable.Layer layer : LayerTable.DENSES) {
                x = dense(layer, x);
            }
        }

        private Act convolution(LayerTable.Layer layer, Act x) {
            long[] wdims = weightDims(layer);
            long outChannels = layer.groups() * wdims[layer.groups() == 1 ? 0 : 1];
            long[] in = dims(x.desc());
            long height = in[2];
            long outHeight = (height + 2L * layer.pad() - layer.kernel()) / layer.stride() + 1;
            memory.desc src = anyDesc(n, in[1], height, height, compute);
            memory.desc weights = new memory.desc(wdims, compute, memory.format_tag.any);
            memory.desc dst = anyDesc(n, outChannels, outHeight, outHeight, compute);
            long[] stride = {layer.stride(), layer.stride()};
            long[] pad = {layer.pad(), layer.pad()};
            var d = new convolution_forward.desc(dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_direct,
                    src, weights, biases.get(layer.name()).get_desc(), dst, stride, pad, pad);
            var pd = new convolution_forward.primitive_desc(d, attributes(layer.relu()), cpu);
            x = toLayout(x, pd.src_desc());
            Act y = next(pd.dst_desc(), x);
            layouts.append(layer.name()).append(' ').append(pd.impl_info_str().getString()).append("; ");
            add(new convolution_forward(pd), Map.of(dnnl.DNNL_ARG_SRC, x, dnnl.DNNL_ARG_WEIGHTS,
                    weightsFor(layer, pd.weights_desc()), dnnl.DNNL_ARG_BIAS, biases.get(layer.name()),
                    dnnl.DNNL_ARG_DST, y, dnnl.DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())));
            return y;
        }

        private Act lrn(Act x) {
            // oneDNN divides alpha by the window's size, as Caffe does: 5 x 2e-5 is Caffe's alpha 1e-4.
            var d = new lrn_forward.desc(dnnl.prop_kind.forward_inference, dnnl.algorithm.lrn_across_channels, x.desc(),
                    2L * Layers.LRN_DEPTH_RADIUS + 1, (float) (Layers.LRN_ALPHA * (2 * Layers.LRN_DEPTH_RADIUS + 1)),
                    (float) Layers.LRN_BETA, (float) Layers.LRN_BIAS);
            var pd = new lrn_forward.primitive_desc(d, attributes(false), cpu);
            Act y = next(pd.dst_desc(), x);
            add(new lrn_forward(pd), Map.of(dnnl.DNNL_ARG_SRC, x, dnnl.DNNL_ARG_DST, y,
                    dnnl.DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())));
            return y;
        }

        private Act maxPool(Act x) {
            long[] in = dims(x.desc());
            long outHeight = (in[2] - POOL_KERNEL[0]) / POOL_STRIDE[0] + 1;
            memory.desc dst = anyDesc(n, in[1], outHeight, outHeight, compute);
            var d = new pooling_forward.desc(dnnl.prop_kind.forward_inference, dnnl.algorithm.pooling_max, x.desc(), dst,
                    POOL_STRIDE, POOL_KERNEL, NO_PAD, NO_PAD);
            var pd = new pooling_forward.primitive_desc(d, attributes(false), cpu);
            Act y = next(pd.dst_desc(), x);
            add(new pooling_forward(pd), Map.of(dnnl.DNNL_ARG_SRC, x, dnnl.DNNL_ARG_DST, y,
                    dnnl.DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())));
            return y;
        }

        /**
         * A dense layer as a 1x1 convolution over an image of n x 1 pixels with the layer's inputs
         * as channels: x [n, in] row-major is exactly that image in {@code nhwc}, and the output
         * [n, out] row-major is the convolution's {@code nhwc} output. oneDNN's inner product runs
         * on its gemm, which for 2 to 8 rows repacks the weights on every call: fc6 took 26.7 ms at
         * batch 2 against 6.4 at batch 1, and a batch of 2 cost 2.8 batches of 1. The 1x1
         * convolution streams the weights once for all n rows (fc6 11.8 ms at batch 2). At batch 1
         * it is slower than the gemv (10 against 6.4 ms), so a plan for one image can take the
         * inner product ({@code gemv}), on a second copy of the 234 MB of dense weights in the
         * gemm's layout; the engine times both and keeps that copy only if it wins.
         */
        private Act dense(LayerTable.Layer layer, Act x) {
            long[] wdims = weightDims(layer);
            long outputs = wdims[0];
            long inputs = wdims[1];
            memory.data_type held = x.desc().data().data_type() == memory.data_type.bf16.value
                    ? memory.data_type.bf16 : memory.data_type.f32;
            if (layer == LayerTable.DENSES.get(0)) {
                // pool5 [n, c, 6, 6] in nhwc: each image's values in (h, w, c) order, fc6's row order.
                x = toLayout(x, desc(dims(x.desc()), memory.format_tag.nhwc, held));
            }
            memory.desc weights = new memory.desc(wdims, compute, memory.format_tag.any);
            // fc7 (the features) and the logits are read after the pass, as floats, in buffers of
            // their own; in bf16 fc7 is written in f32 and fc8 reads it back through a reorder to bf16.
            boolean last = layer == LayerTable.DENSES.get(LayerTable.DENSES.size() - 1);
            boolean read = last || layer.name().equals("fc7");
            memory.data_type out = read ? memory.data_type.f32 : compute;
            Act flat;
            org.bytedeco.dnnl.primitive_desc pd;
            primitive step;
            if (gemv) {
                flat = new Act(desc(new long[] {n, inputs, 1, 1}, memory.format_tag.nchw, held), x.buffer());
                var d = new inner_product_forward.desc(dnnl.prop_kind.forward_inference,
                        desc(new long[] {n, inputs, 1, 1}, memory.format_tag.nchw, compute), weights, biases.get(layer.name()).get_desc(),
                        desc(new long[] {n, outputs}, memory.format_tag.nc, out));
                var ip = new inner_product_forward.primitive_desc(d, attributes(layer.relu()), cpu);
                flat = toLayout(flat, ip.src_desc());
                pd = ip;
                step = new inner_product_forward(ip);
            } else {
                flat = new Act(desc(new long[] {1, inputs, n, 1}, memory.format_tag.nhwc, held), x.buffer());
                flat = toLayout(flat, desc(new long[] {1, inputs, n, 1}, memory.format_tag.nhwc, compute));
                memory.desc dst = desc(new long[] {1, outputs, n, 1}, memory.format_tag.nhwc, out);
                var d = new convolution_forward.desc(dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_direct,
                        flat.desc(), weights, biases.get(layer.name()).get_desc(), dst, new long[] {1, 1}, NO_PAD, NO_PAD);
                var conv = new convolution_forward.primitive_desc(d, attributes(layer.relu()), cpu);
                pd = conv;
                step = new convolution_forward(conv);
            }
            Act y = last ? place(pd.dst_desc(), Arena.LOGITS)
                    : layer.name().equals("fc7") ? place(pd.dst_desc(), Arena.FEATURES) : next(pd.dst_desc(), flat);
            layouts.append(layer.name()).append(' ').append(pd.impl_info_str().getString()).append("; ");
            add(step, Map.of(dnnl.DNNL_ARG_SRC, flat, dnnl.DNNL_ARG_WEIGHTS,
                    weightsFor(layer, pd.weights_desc()), dnnl.DNNL_ARG_BIAS, biases.get(layer.name()),
                    dnnl.DNNL_ARG_DST, y, dnnl.DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())));
            return y;
        }

        private memory weightsFor(LayerTable.Layer layer, memory.desc wanted) {
            memory m = blocked(layer.name(), wanted);
            if (!gemv) {
                batchedWeights.add(m);
            }
            return m;
        }

        /** x itself if it already has the layout the primitive wants, else a reorder into the other buffer. */
        private Act toLayout(Act x, memory.desc wanted) {
            if (x.desc().equals(wanted)) {
                return x;
            }
            Act y = next(wanted, x);
            var pd = new reorder.primitive_desc(cpu, x.desc(), cpu, wanted, attributes(false), false);
            add(new reorder(pd), Map.of(dnnl.DNNL_ARG_FROM, x, dnnl.DNNL_ARG_TO, y,
                    dnnl.DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())));
            layouts.append("reorder; ");
            return y;
        }

        /** The network's scratchpad, as a primitive describes its need (possibly empty). */
        private Act scratchpad(memory.desc desc) {
            return place(desc, Arena.SCRATCHPAD);
        }

        /** The activation a step writes: in the activation buffer its input is not in. */
        private Act next(memory.desc desc, Act input) {
            return place(desc, input.buffer() == 0 ? 1 : 0);
        }

        private Act place(memory.desc desc, int buffer) {
            needs[buffer] = Math.max(needs[buffer], desc.get_size());
            return new Act(desc, buffer);
        }

        private void add(primitive step, Map<Integer, Object> args) {
            steps.add(own(step));
            bindings.add(args);
        }

        private <T extends Pointer> T own(T pointer) {
            created.add(pointer);
            return pointer;
        }

        Plan finish() {
            List<IntMemoryMap> args = new ArrayList<>(steps.size());
            for (Map<Integer, Object> binding : bindings) {
                IntMemoryMap map = own(new IntMemoryMap());
                for (Map.Entry<Integer, Object> e : binding.entrySet()) {
                    map.put(e.getKey(), bind(e.getValue()));
                }
                args.add(map);
            }
            return new Plan(steps, args, new FloatPointer(arena.handle(Arena.INPUT)),
                    new FloatPointer(arena.handle(Arena.FEATURES)), new FloatPointer(arena.handle(Arena.LOGITS)),
                    created, layouts.toString());
        }

        private memory bind(Object value) {
            if (value instanceof memory m) {
                return m;
            }
            Act act = (Act) value;
            return own(new memory(act.desc(), cpu, arena.handle(act.buffer())));
        }
    }

    /**
     * Once the first plan holds every layer's weights re-blocked, the file's layout is not needed:
     * freeing it keeps one copy of the 233 MB in memory, as the ND4J pass does. A later plan that
     * wants another layout re-blocks from the copy held.
     */
    private void releasePlainWeights() {
        if (plainWeights.isEmpty() || blockedWeights.size() < plainWeights.size()) {
            return;
        }
        for (memory plain : plainWeights.values()) {
            plain.close();
        }
        plainWeights.clear();
    }

    /**
     * The weights in {@code wanted}'s layout: a copy already made for an earlier plan, or a new one
     * re-blocked from the file's layout (once per layout; in practice every batch size asks for the same).
     */
    private memory blocked(String layer, memory.desc wanted) {
        List<memory> copies = blockedWeights.computeIfAbsent(layer, k -> new ArrayList<>());
        for (memory m : copies) {
            if (m.get_desc().equals(wanted)) {
                return m;
            }
        }
        memory plain = plainWeights.containsKey(layer) ? plainWeights.get(layer) : copies.get(0);
        memory copy = new memory(wanted, cpu);
        try (reorder r = new reorder(plain, copy)) {
            r.execute(stream, plain, copy);
            stream._wait();
        }
        owned.add(copy);
        copies.add(copy);
        return copy;
    }

    /** The dims oneDNN wants for a layer's weights: [out, in, kh, kw], grouped [g, out/g, in/g, kh, kw], dense [out, in, 1, 1]. */
    private long[] weightDims(LayerTable.Layer layer) {
        return dims(weightShapes.get(layer.name()));
    }

    private static long[] dims(memory.desc desc) {
        long[] dims = new long[desc.data().ndims()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = desc.data().dims().get(i);
        }
        return dims;
    }

    /**
     * The file's layout, described to oneDNN: HWIO kernels are {@code hwio} ({@code hwigo} split into
     * groups); a dense layer's [in, out] matrix is {@code hwio} of an [out, in, 1, 1] kernel (see
     * {@code Builder.dense}). fc6's rows run over (h, w, c) of pool5, the order of pool5 in {@code nhwc}.
     */
    private memory.desc plainWeightsDesc(LayerTable.Layer layer, LayerWeights w) {
        long[] s = w.weights().shape();
        if (layer.isConvolution()) {
            long g = layer.groups();
            return g == 1 ? desc(new long[] {s[3], s[2], s[0], s[1]}, memory.format_tag.hwio)
                    : desc(new long[] {g, s[3] / g, s[2], s[0], s[1]}, memory.format_tag.hwigo);
        }
        return desc(new long[] {s[1], s[0], 1, 1}, memory.format_tag.hwio);
    }

    /**
     * A memory that oneDNN allocates (aligned to its liking, outside JavaCPP's accounting, which
     * would count it against the heap's limit), holding a copy of {@code data}.
     */
    private memory filled(memory.desc desc, float[] data) {
        memory m = new memory(desc, cpu);
        floats(m).put(data, 0, data.length);
        return m;
    }

    /** A view of a memory's buffer as floats, for copying in and out; the memory owns it. */
    private static FloatPointer floats(memory m) {
        return new FloatPointer(m.get_data_handle());
    }

    /** A buffer of {@code bytes} that oneDNN allocates, to place other memories in. */
    private static memory buffer(engine cpu, long bytes) {
        return new memory(new memory.desc(new long[] {bytes}, memory.data_type.u8, memory.format_tag.x), cpu);
    }

    private static memory.desc desc(long[] dims, memory.format_tag tag) {
        return desc(dims, tag, memory.data_type.f32);
    }

    private static memory.desc desc(long[] dims, memory.format_tag tag, memory.data_type type) {
        return new memory.desc(dims, type, tag);
    }

    private static memory.desc anyDesc(long n, long c, long h, long w, memory.data_type type) {
        return desc(new long[] {n, c, h, w}, memory.format_tag.any, type);
    }

    /** The network's scratchpad, and ReLU fused as a post-op where the layer has one. */
    private static primitive_attr attributes(boolean relu) {
        primitive_attr attr = new primitive_attr();
        attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
        if (relu) {
            post_ops ops = new post_ops();
            ops.append_eltwise(1f, dnnl.algorithm.eltwise_relu, 0f, 0f);
            attr.set_post_ops(ops);
        }
        return attr;
    }

    private <T extends Pointer> T keep(T pointer) {
        owned.add(pointer);
        return pointer;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Plan plan : plans.values()) {
            plan.close();
        }
        plans.clear();
        arena.close();
        plainWeights.values().forEach(memory::close);
        closeAll(owned);
        owned.clear();
    }
}
