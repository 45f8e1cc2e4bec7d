package dev.alexnet.service;

import dev.alexnet.service.cli.Launcher;
import dev.alexnet.service.cli.UsageException;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Entry point: the web service by default, or one of the command-line modes. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class AlexNetServiceApplication {

    public static void main(String[] args) {
        Launcher.Mode mode;
        try {
            mode = Launcher.mode(args);
        } catch (UsageException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(Launcher.USAGE);
            System.exit(2);
            return;
        }
        if (mode == Launcher.Mode.SERVE) {
            String[] springArgs = args.length > 0 && args[0].equals("serve")
                    ? java.util.Arrays.copyOfRange(args, 1, args.length) : args;
            SpringApplication.run(AlexNetServiceApplication.class, springArgs);
        } else {
            // Command-line modes log to stderr: stdout carries their results.
            System.setProperty("logback.configurationFile", "logback-cli.xml");
            System.exit(Launcher.runCommand(mode, args, System.out, System.err));
        }
    }
}
