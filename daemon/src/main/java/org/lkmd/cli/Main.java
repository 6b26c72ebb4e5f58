package org.lkmd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;

/**
 * {@code lkmd VERB ...}: the verb table and the one place where verbs get their streams and
 * kernel. The kmod-named launchers ({@code modprobe}, {@code insmod}, ...) call the same verbs.
 */
@Command(name = "lkmd", mixinStandardHelpOptions = true, version = "lkmd 0.1.0",
        description = "The loadable-kernel-module daemon and its kmod-compatible tools.")
public final class Main implements Runnable {
    /** The verbs, in the order {@code lkmd --help} lists them; each names itself in its {@code @Command}. */
    static final List<Class<?>> VERBS = List.of(Modprobe.class, Insmod.class, Rmmod.class, Lsmod.class,
            Modinfo.class, Depmod.class, DaemonCommand.class, Settle.class, Status.class, Reload.class, Monitor.class,
            Trigger.class, Explain.class, Test.class, Info.class, Verify.class, StaticNodes.class, Control.class,
            History.class);

    @Mixin
    GlobalOptions globals;

    CliContext context;

    CliContext context() {
        return context;
    }

    @Override
    public void run() {
        context.err().println("lkmd: missing verb; see lkmd --help");
        throw new CommandLine.ParameterException(new CommandLine(this), "missing verb");
    }

    public static void main(String[] args) {
        CliContext ctx = new CliContext(System.out, System.err, Kernels::forRoot, System.getenv());
        int rc = run(ctx, args);
        System.out.flush();
        System.exit(rc);
    }

    /** Runs one command line with the given context; returns the exit code. */
    public static int run(CliContext ctx, String... args) {
        Main main = new Main();
        main.context = ctx;
        DaemonCommand daemon = DaemonArgs.parse(main, args);
        if (daemon != null) {
            // the daemon starts at boot: a plain daemon command line skips picocli's model building
            try {
                return daemon.call();
            } catch (RuntimeException ex) {
                ctx.err().println("daemon: ERROR: " + ex);
                return 1;
            }
        }
        CommandLine cl = commandLine(main, args.length > 0 ? args[0] : null);
        cl.setOut(new PrintWriter(ctx.out(), true));
        cl.setErr(new PrintWriter(ctx.err(), true));
        cl.setPosixClusteredShortOptionsAllowed(true);
        cl.getSubcommands().values().forEach(Main::addHelpOption);
        cl.setParameterExceptionHandler((ex, a) -> {
            String verb = ex.getCommandLine().getCommandName();
            ctx.err().println(verb + ": " + ex.getMessage());
            return 1;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            ctx.err().println(commandLine.getCommandName() + ": ERROR: " + ex);
            return 1;
        });
        return cl.execute(Modprobe.withEnvOptions(args, ctx.env()));
    }

    /**
     * The command line with the verbs it may run: only the verb {@code first} names when it is one
     * (the common call, {@code lkmd VERB ...}, and every kmod-named tool; picocli's model of all the
     * verbs took longer to build than the JVM takes to start), else every verb (global options first,
     * a mistyped verb, {@code --help}).
     */
    static CommandLine commandLine(Main main, String first) {
        CommandLine cl = new CommandLine(main);
        Class<?> only = VERBS.stream().filter(v -> v.getAnnotation(Command.class).name().equals(first)).findFirst()
                .orElse(null);
        for (Class<?> v : VERBS) {
            if (only == null || v == only) {
                cl.addSubcommand(v.getAnnotation(Command.class).name(), v);
            }
        }
        return cl;
    }

    /** {@code lkmd VERB --help} for every verb (kmod's tools declare their own, with kmod's {@code -h}). */
    private static void addHelpOption(CommandLine verb) {
        CommandLine.Model.CommandSpec spec = verb.getCommandSpec();
        if (spec.optionsMap().containsKey("--help")) {
            return;
        }
        String[] names = spec.optionsMap().containsKey("-h") ? new String[] {"--help"} : new String[] {"-h", "--help"};
        spec.addOption(CommandLine.Model.OptionSpec.builder(names).usageHelp(true)
                .description("Show this help and exit.").build());
    }

    static PrintStream nullStream() {
        return new PrintStream(java.io.OutputStream.nullOutputStream());
    }
}
