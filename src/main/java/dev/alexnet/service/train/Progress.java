package dev.alexnet.service.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress: on a terminal, a bar per epoch redrawn in place (images/s, loss, ETA); to a
 * file or pipe, a plain line at every tenth of an epoch. Either way one summary line per epoch.
 */
public class Progress {

    private static final int BAR = 30;

    private final PrintStream out;
    private final boolean terminal;
    private int epoch;
    private int epochs;
    private int batches;
    private int firstBatch;
    private int lastReportedTenth;

    public Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    void start(int epoch, int epochs, int batches, int firstBatch) {
        this.epoch = epoch;
        this.epochs = epochs;
        this.batches = batches;
        this.firstBatch = firstBatch;
        this.lastReportedTenth = firstBatch * 10 / Math.max(1, batches);
    }

    void batch(int done, int images, double loss, double seconds) {
        double rate = images / Math.max(seconds, 1e-9);
        double perBatch = seconds / Math.max(1, done - firstBatch);
        long eta = Math.round(perBatch * (batches - done));
        String numbers = String.format(Locale.ROOT, "%d/%d  %.1f img/s  loss %.4f  ETA %d:%02d",
                done, batches, rate, loss, eta / 60, eta % 60);
        if (terminal) {
            int filled = (int) ((long) BAR * done / Math.max(1, batches));
            out.print("\repoch " + epoch + "/" + epochs + " [" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] " + numbers + "   ");
            out.flush();
        } else {
            int tenth = done * 10 / Math.max(1, batches);
            if (tenth > lastReportedTenth || done == batches) {
                lastReportedTenth = tenth;
                out.println("epoch " + epoch + "/" + epochs + " batch " + numbers);
            }
        }
    }

    void interrupted() {
        if (terminal) {
            out.println();
        }
    }

    void end(Trainer.EpochMetrics m) {
        if (terminal) {
            out.println();
        }
        String validation = m.validationTop1() == null ? "no validation set"
                : String.format(Locale.ROOT, "val loss %.4f  val top-1 %.2f%%  top-5 %.2f%%",
                        m.validationLoss(), 100 * m.validationTop1(), 100 * m.validationTop5());
        out.println(String.format(Locale.ROOT, "epoch %d/%d done: lr %g  train loss %.4f  train top-1 %.2f%%  %s  %.1f img/s  %.1f s",
                m.epoch(), epochs, m.learningRate(), m.trainLoss(), 100 * m.trainTop1(), validation, m.imagesPerSecond(), m.seconds()));
    }
}
