package dev.alexnet.service.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.WeightsFormatException;
import dev.alexnet.service.train.PcaColor;
import dev.alexnet.service.train.Progress;
import dev.alexnet.service.train.Trainer;

/**
 * {@code train}: fine-tunes or trains AlexNet on an ImageFolder dataset with the paper's recipe,
 * with no web server. Ctrl-C (SIGINT) or SIGTERM saves a checkpoint before the JVM exits (with
 * the signal's status, 130 or 143), and {@code --resume --out DIR} carries on where it stopped.
 */
public final class TrainCommand {

    /** Usage text for this mode. */
    public static final String USAGE = """
            train --data DIR --out DIR [--val DIR | --val-split 0.1] [--from bvlc_alexnet.npy] [--freeze conv|none]
                  [--epochs 10] [--batch 128] [--lr 0.01] [--momentum 0.9] [--weight-decay 0.0005]
                  [--lr-patience 2] [--lr-factor 0.1] [--no-random-crops] [--no-flips] [--no-pca] [--pca-sigma 0.1]
                  [--seed 42] [--widths 96,256,384,384,256,4096,4096] [--init paper|he] [--max-pixels 40000000]
            train --resume --out DIR [--epochs N]
              Trains on DIR/<class>/<images>, without a web server. With --from: transfer learning
              (conv1-fc7 kept, a new fc8 for the classes; --freeze conv trains only fc6-fc8); without:
              from scratch (--widths for a narrower network; --init he with a lower --lr, e.g. 0.0001,
              where the paper's N(0, 0.01) initialisation leaves a narrow network unable to learn). Writes DIR/weights.npy (bvlc dialect),
              labels.txt and training.json; serve them with ALEXNET_WEIGHTS and ALEXNET_LABELS, or train
              straight into a model repository (--out REPO/<model>/<version>) and load it live.""";

    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;

    public TrainCommand(PrintStream out, PrintStream err, boolean terminal) {
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    public int run(List<String> args) {
        List<String> effective = args;
        if (args.contains("--resume")) {
            effective = resumeArguments(args);
        }
        Trainer.Options options = parse(effective);
        NativeBuild.select(null);
        Trainer trainer = new Trainer(options, effective, new Progress(out, terminal), out);
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                finished.await(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "train-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return trainer.run() == Trainer.Ending.COMPLETED ? 0 : 130;
        } catch (IllegalArgumentException | IllegalStateException | WeightsFormatException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("error: " + e);
            return 1;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the checkpoint is written
            }
        }
    }

    /** The saved command line of the run in --out, with --epochs replaced if given now. */
    private static List<String> resumeArguments(List<String> args) {
        Path outDir = null;
        String epochs = null;
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--resume" -> { }
                case "--out" -> outDir = Path.of(Launcher.value(args, ++i, "--out"));
                case "--epochs" -> epochs = String.valueOf(Launcher.positiveInt(Launcher.value(args, ++i, "--epochs"), "--epochs"));
                default -> throw new UsageException("with --resume only --out and --epochs are allowed: " + args.get(i));
            }
        }
        if (outDir == null) {
            throw new UsageException("--resume needs --out DIR");
        }
        List<String> saved;
        try {
            saved = new ArrayList<>(Trainer.savedArguments(outDir));
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new UsageException(e.getMessage());
        }
        if (epochs != null) {
            int at = saved.indexOf("--epochs");
            if (at >= 0) {
                saved.set(at + 1, epochs);
            } else {
                saved.addAll(List.of("--epochs", epochs));
            }
        }
        return saved;
    }

    static Trainer.Options parse(List<String> args) {
        Path data = null;
        Path val = null;
        Double valSplit = null;
        Path outDir = null;
        Path from = null;
        boolean freeze = false;
        int epochs = 10;
        int batch = 128;
        double lr = 0.01;
        double momentum = 0.9;
        double weightDecay = 0.0005;
        int patience = 2;
        double factor = 0.1;
        boolean crops = true;
        boolean flips = true;
        boolean pca = true;
        double sigma = PcaColor.PAPER_SIGMA;
        long seed = 42;
        AlexNetArchitecture widths = null;
        long maxPixels = 40_000_000;
        boolean he = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--data" -> data = Path.of(Launcher.value(args, ++i, arg));
                case "--val" -> val = Path.of(Launcher.value(args, ++i, arg));
                case "--val-split" -> {
                    valSplit = fraction(Launcher.value(args, ++i, arg), arg);
                }
                case "--out" -> outDir = Path.of(Launcher.value(args, ++i, arg));
                case "--from" -> from = Path.of(Launcher.value(args, ++i, arg));
                case "--freeze" -> freeze = switch (Launcher.value(args, ++i, arg).toLowerCase(Locale.ROOT)) {
                    case "conv" -> true;
                    case "none" -> false;
                    default -> throw new UsageException("--freeze takes conv or none: " + args.get(i));
                };
                case "--epochs" -> epochs = Launcher.positiveInt(Launcher.value(args, ++i, arg), arg);
                case "--batch" -> batch = Launcher.positiveInt(Launcher.value(args, ++i, arg), arg);
                case "--lr" -> lr = Launcher.positiveDouble(Launcher.value(args, ++i, arg), arg);
                case "--momentum" -> momentum = fraction(Launcher.value(args, ++i, arg), arg);
                case "--weight-decay" -> weightDecay = Launcher.nonNegativeDouble(Launcher.value(args, ++i, arg), arg);
                case "--lr-patience" -> patience = Launcher.positiveInt(Launcher.value(args, ++i, arg), arg);
                case "--lr-factor" -> factor = fraction(Launcher.value(args, ++i, arg), arg);
                case "--no-random-crops" -> crops = false;
                case "--no-flips" -> flips = false;
                case "--no-pca" -> pca = false;
                case "--pca-sigma" -> sigma = Launcher.positiveDouble(Launcher.value(args, ++i, arg), arg);
                case "--seed" -> seed = Launcher.parseLong(Launcher.value(args, ++i, arg), arg);
                case "--widths" -> widths = widths(Launcher.value(args, ++i, arg));
                case "--init" -> he = switch (Launcher.value(args, ++i, arg).toLowerCase(Locale.ROOT)) {
                    case "he" -> true;
                    case "paper" -> false;
                    default -> throw new UsageException("--init takes paper or he: " + args.get(i));
                };
                case "--max-pixels" -> maxPixels = Launcher.parseLong(Launcher.value(args, ++i, arg), arg);
                default -> throw new UsageException("unknown option for train: " + arg);
            }
        }
        if (data == null || outDir == null) {
            throw new UsageException("train needs --data DIR and --out DIR");
        }
        if (val != null && valSplit != null) {
            throw new UsageException("give --val or --val-split, not both");
        }
        if (freeze && from == null) {
            throw new UsageException("--freeze conv needs --from: a network trained from scratch has nothing to keep");
        }
        if ((widths != null || he) && from != null) {
            throw new UsageException("--widths and --init are for training from scratch; with --from the network comes from the file");
        }
        return new Trainer.Options(data, val, val != null ? 0 : valSplit == null ? 0.1 : valSplit, outDir, from, freeze,
                epochs, batch, lr, momentum, weightDecay, patience, factor, crops, flips, pca, sigma, seed, widths, he, maxPixels);
    }

    private static AlexNetArchitecture widths(String value) {
        String[] parts = value.split(",");
        if (parts.length != 7) {
            throw new UsageException("--widths takes 7 numbers, conv1..conv5,fc6,fc7: " + value);
        }
        int[] w = new int[7];
        for (int i = 0; i < 7; i++) {
            w[i] = Launcher.positiveInt(parts[i].trim(), "--widths");
        }
        try {
            return new AlexNetArchitecture(w[0], w[1], w[2], w[3], w[4], w[5], w[6], 1000);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--widths: " + e.getMessage());
        }
    }

    private static double fraction(String value, String flag) {
        double d = Launcher.nonNegativeDouble(value, flag);
        if (d >= 1) {
            throw new UsageException(flag + " must be below 1: " + value);
        }
        return d;
    }
}
