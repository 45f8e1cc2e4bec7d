package dev.alexnet.service.train;

/**
 * The paper's learning-rate schedule: divide the rate by a factor (10) when the validation score
 * has not improved for {@code patience} epochs. Better means a higher top-1, or the same top-1 at a
 * lower loss, so that a perfect top-1 does not stall the schedule. Its state is saved with every
 * checkpoint, so a resumed run keeps counting where it stopped.
 */
final class PlateauSchedule {

    private final int patience;
    private final double factor;
    private double best;
    private double bestLoss;
    private int waited;

    PlateauSchedule(int patience, double factor, double best, double bestLoss, int waited) {
        this.patience = patience;
        this.factor = factor;
        this.best = best;
        this.bestLoss = bestLoss;
        this.waited = waited;
    }

    /** Takes an epoch's score and loss; the new learning rate (the same one unless the run has stalled). */
    double next(double score, double loss, double learningRate) {
        if (score > best + 1e-9 || (score > best - 1e-9 && loss < bestLoss - 1e-9)) {
            best = score;
            bestLoss = loss;
            waited = 0;
        } else if (++waited >= patience) {
            waited = 0;
            return learningRate * factor;
        }
        return learningRate;
    }

    double best() {
        return best;
    }

    double bestLoss() {
        return bestLoss;
    }

    int waited() {
        return waited;
    }
}
