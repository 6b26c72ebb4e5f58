package org.lkmd;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package layering of lkmd's main code, bottom to top. Each package names the packages it may
 * use; anything else, and any cycle between packages, fails the build.
 *
 * <pre>
 * base            the root directory, the runtime directory, diagnostics, parse results, module names
 * process         running a child process (hooks, RUN{program}, PROGRAM) with one timeout policy
 * index           modules.* indexes (text and .bin), fnmatch
 * elf             .ko files: sections, modinfo, signatures, compression
 * kernel          the kernel's module calls and state (real and simulated), errno
 * modprobe        modprobe.d, kernel command line, the probe request, resolution (lookup, plan)
 * depmod          writing the modules.* indexes from the .ko files
 * loader          executing load and remove plans, install/remove hooks
 * uevent          netlink, uevent parsing, coldplug, the event queue, the sd_notify datagram socket
 * rules           udev-style rules: parse, match, kmod builtin, programs
 * eventlog        what happened to each event and probe, for status, monitor and explain
 * control         the control socket's transport: server, handler, codec, client (JSON only)
 * config          the daemon's configuration file (lkmd.toml)
 * daemon          the daemon: lifecycle, intake, services, snapshots, event handling, its answers
 * cli             the commands
 * </pre>
 */
@AnalyzeClasses(packages = "org.lkmd", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

    @ArchTest
    static final ArchRule noPackageCycle = slices().matching("org.lkmd.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("base").definedBy("org.lkmd.base..")
            .layer("process").definedBy("org.lkmd.process..")
            .layer("index").definedBy("org.lkmd.index..")
            .layer("elf").definedBy("org.lkmd.elf..")
            .layer("kernel").definedBy("org.lkmd.kernel..")
            .layer("modprobe").definedBy("org.lkmd.modprobe..")
            .layer("depmod").definedBy("org.lkmd.depmod..")
            .layer("loader").definedBy("org.lkmd.loader..")
            .layer("uevent").definedBy("org.lkmd.uevent..")
            .layer("rules").definedBy("org.lkmd.rules..")
            .layer("eventlog").definedBy("org.lkmd.eventlog..")
            .layer("control").definedBy("org.lkmd.control..")
            .layer("config").definedBy("org.lkmd.config..")
            .layer("daemon").definedBy("org.lkmd.daemon..")
            .layer("cli").definedBy("org.lkmd.cli..")

            .whereLayer("base").mayNotAccessAnyLayer()
            .whereLayer("process").mayOnlyAccessLayers("base")
            .whereLayer("index").mayOnlyAccessLayers("base")
            .whereLayer("elf").mayOnlyAccessLayers("base", "index")
            .whereLayer("kernel").mayOnlyAccessLayers("base", "index", "elf")
            .whereLayer("modprobe").mayOnlyAccessLayers("base", "index", "elf", "kernel")
            .whereLayer("depmod").mayOnlyAccessLayers("base", "index", "elf")
            .whereLayer("loader").mayOnlyAccessLayers("base", "process", "index", "elf", "kernel", "modprobe")
            .whereLayer("uevent").mayOnlyAccessLayers("base", "kernel")
            .whereLayer("rules").mayOnlyAccessLayers("base", "process", "index", "kernel", "uevent")
            .whereLayer("eventlog").mayOnlyAccessLayers("base", "kernel")
            .whereLayer("control").mayOnlyAccessLayers("base")
            .whereLayer("config").mayOnlyAccessLayers("base")
            .whereLayer("daemon").mayOnlyAccessLayers("base", "process", "index", "elf", "kernel", "modprobe",
                    "depmod", "loader", "uevent", "rules", "eventlog", "control", "config")
            .whereLayer("cli").mayOnlyAccessLayers("base", "process", "index", "elf", "kernel", "modprobe",
                    "depmod", "loader", "uevent", "rules", "eventlog", "control", "config", "daemon");

    /** Every class lives in one of the layers above: a new package must take its place in the table. */
    @ArchTest
    static final ArchRule noPackageOutsideTheLayers = noClasses().that().resideInAPackage("org.lkmd..")
            .should().resideOutsideOfPackages("org.lkmd.base..", "org.lkmd.config..", "org.lkmd.process..", "org.lkmd.index..",
                    "org.lkmd.elf..", "org.lkmd.kernel..", "org.lkmd.modprobe..", "org.lkmd.depmod..",
                    "org.lkmd.loader..", "org.lkmd.uevent..", "org.lkmd.rules..", "org.lkmd.eventlog..",
                    "org.lkmd.control..", "org.lkmd.daemon..", "org.lkmd.cli..");
}
