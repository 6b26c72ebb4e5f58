package org.lkmd.daemon;

import org.lkmd.uevent.Uevent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The start-up repair of the module index: run once after READY (the rebuild of ~4,000 modules takes
 * seconds, more on a slow machine, and must not hold back the boot). When the index is missing or
 * stale ({@link IndexRepair}: a new kernel's tree without {@code modules.dep*}, files removed, modules
 * newer than the index) it is rebuilt, the snapshot reloaded, and then every device already present
 * is planned again, as a scan coldplug would: coldplug ran on the old (or empty) index, so those
 * devices got no driver from it. Nothing is rebuilt or re-planned when the index is current. A
 * rebuild that fails is one error naming the directory ({@link IndexRepair}); the daemon keeps the
 * index it has.
 */
final class SelfHeal {
    private static final Logger log = LoggerFactory.getLogger(SelfHeal.class);

    /** Where re-planned devices go: the daemon's queue. */
    interface Queue {
        void put(Uevent e) throws InterruptedException;
    }

    private final IndexRepair index;
    private final BooleanSupplier reload;
    private final Supplier<List<Uevent>> present;
    private final Queue queue;

    /**
     * @param reload  the daemon's reload: true when the new snapshot was swapped in
     * @param present the {@code add} events of every subsystem and device present ({@code Coldplug.scanAdd})
     */
    SelfHeal(IndexRepair index, BooleanSupplier reload, Supplier<List<Uevent>> present, Queue queue) {
        this.index = index;
        this.reload = reload;
        this.present = present;
        this.queue = queue;
    }

    /** Returns the number of events queued again; 0 when the index was current or could not be rebuilt. */
    int run() throws InterruptedException {
        if (!index.rebuildIfStale()) {
            return 0;
        }
        if (!reload.getAsBoolean()) {
            log.error("Failed to use the rebuilt module index in {}: the reload failed (see above)", index.modulesDir());
            return 0;
        }
        List<Uevent> events = present.get();
        for (Uevent e : events) {
            queue.put(e);
        }
        log.info("Planning again the {} subsystems and devices present at start ({} with a modalias) with the rebuilt index",
                events.size(), events.stream().filter(e -> e.modalias() != null).count());
        return events.size();
    }
}
