package dev.alexnet.service.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * Picks the jar's mode from its first argument: {@code serve} (the default) starts the web
 * service; the other modes run without a web server and return an exit status.
 */
public final class Launcher {

    /** The usage text of the whole jar. */
    public static final String USAGE = """
            usage: java -jar alexnet-service.jar [MODE] [OPTIONS]

            modes:
              serve   (default) start the HTTP service; Spring options such as --server.port=8080 follow
            """ + indent(BenchCommand.USAGE) + indent(ClassifyCommand.USAGE) + indent(TrainCommand.USAGE) + indent(HealthCheckCommand.USAGE) + """

              help    print this text
            """;

    private Launcher() {
    }

    /** The mode a command line asks for. */
    public enum Mode { SERVE, BENCH, CLASSIFY, TRAIN, HEALTHCHECK, HELP }

    public static Mode mode(String[] args) {
        if (args.length == 0 || args[0].startsWith("--") || args[0].equals("serve")) {
            return Mode.SERVE;
        }
        return switch (args[0]) {
            case "bench" -> Mode.BENCH;
            case "classify" -> Mode.CLASSIFY;
            case "train" -> Mode.TRAIN;
            case "healthcheck" -> Mode.HEALTHCHECK;
            case "help", "-h", "--help" -> Mode.HELP;
            default -> throw new UsageException("unknown mode '" + args[0] + "'");
        };
    }

    /** Runs a non-serving mode and returns its exit status; usage errors give 2. */
    public static int runCommand(Mode mode, String[] args, PrintStream out, PrintStream err) {
        List<String> rest = List.of(args).subList(Math.min(1, args.length), args.length);
        try {
            return switch (mode) {
                case BENCH -> new BenchCommand(out).run(rest);
                case CLASSIFY -> new ClassifyCommand(out, err, System.console() != null).run(rest);
                case TRAIN -> new TrainCommand(out, err, System.console() != null).run(rest);
                case HEALTHCHECK -> new HealthCheckCommand(out).run(rest);
                case HELP -> {
                    out.print(USAGE);
                    yield 0;
                }
                case SERVE -> throw new IllegalArgumentException("serve is not a command");
            };
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
    }

    static String value(List<String> args, int index, String flag) {
        if (index >= args.size() || args.get(index).startsWith("--")) {
            throw new UsageException(flag + " needs a value");
        }
        return args.get(index);
    }

    static int positiveInt(String value, String flag) {
        int n = parseInt(value, flag);
        if (n < 1) {
            throw new UsageException(flag + " must be at least 1: " + value);
        }
        return n;
    }

    static int nonNegativeInt(String value, String flag) {
        int n = parseInt(value, flag);
        if (n < 0) {
            throw new UsageException(flag + " must not be negative: " + value);
        }
        return n;
    }

    static double positiveDouble(String value, String flag) {
        double d = parseDouble(value, flag);
        if (!(d > 0) || Double.isInfinite(d)) {
            throw new UsageException(flag + " must be a positive number: " + value);
        }
        return d;
    }

    static double nonNegativeDouble(String value, String flag) {
        double d = parseDouble(value, flag);
        if (!(d >= 0) || Double.isInfinite(d)) {
            throw new UsageException(flag + " must be a non-negative number: " + value);
        }
        return d;
    }

    private static double parseDouble(String value, String flag) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be a number: " + value);
        }
    }

    static long parseLong(String value, String flag) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be an integer: " + value);
        }
    }

    private static int parseInt(String value, String flag) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be an integer: " + value);
        }
    }

    private static String indent(String text) {
        return "  " + text.replace("\n", "\n  ") + "\n";
    }
}
