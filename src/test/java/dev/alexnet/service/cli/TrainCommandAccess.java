package dev.alexnet.service.cli;

import java.util.List;

import dev.alexnet.service.train.Trainer;

/** Lets tests in other packages parse a train command line. */
public final class TrainCommandAccess {

    private TrainCommandAccess() {
    }

    public static Trainer.Options parse(List<String> args) {
        return TrainCommand.parse(args);
    }
}
